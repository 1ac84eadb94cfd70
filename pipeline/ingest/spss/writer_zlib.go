package spss

import (
	"bytes"
	"compress/zlib"
	"io"

	"socap/pipeline/ingest/labelled"
)

// zlibBlockSize is the uncompressed size of the zlib blocks SPSS writes
// (PSPP developers' guide, "ZLIB Compressed Data Record": block_size,
// 0x3ff000).
const zlibBlockSize = 0x3ff000

// zlibWriter writes bytecode-compressed data as a .zsav's ZLIB data
// record: the ZLIB data header (zheader_ofs, ztrailer_ofs, ztrailer_len,
// each an int64), the data in blocks that are each a zlib stream of
// blockSize bytes but the last, and the trailer: the bias as a negative
// int64, an int64 0, the block size and the number of blocks (int32),
// then per block its offsets uncompressed (as in a .sav, starting at
// zheader_ofs) and compressed (int64) and its two sizes (int32).
type zlibWriter struct {
	out       io.Writer
	off       int64 // file offset of the next byte written
	order     labelled.ByteOrder
	blockSize int
	at        int64 // zheader_ofs
	pending   []byte
	zw        *zlib.Writer
	zbuf      bytes.Buffer // one compressed block
	entries   []byte       // the block descriptors of the trailer
	blocks    int32
	uoff      int64
}

func newZlibWriter(out io.Writer, at int64, order labelled.ByteOrder) *zlibWriter {
	return &zlibWriter{out: out, off: at, order: order, blockSize: zlibBlockSize, at: at, uoff: at}
}

// write writes b to the file.
func (z *zlibWriter) write(b []byte) error {
	n, err := z.out.Write(b)
	z.off += int64(n)
	return err
}

// header writes the ZLIB data header with the trailer's place unknown;
// close patches it.
func (z *zlibWriter) header() error {
	b := make([]byte, 0, 24)
	for _, x := range []int64{z.at, 0, 0} {
		b = z.order.AppendUint64(b, uint64(x))
	}
	return z.write(b)
}

// Write buffers p and compresses every full block.
func (z *zlibWriter) Write(p []byte) (int, error) {
	z.pending = append(z.pending, p...)
	for len(z.pending) >= z.blockSize {
		if err := z.block(z.pending[:z.blockSize]); err != nil {
			return 0, err
		}
		z.pending = z.pending[:copy(z.pending, z.pending[z.blockSize:])]
	}
	return len(p), nil
}

// block compresses one block into the file and notes its descriptor.
func (z *zlibWriter) block(data []byte) error {
	start := z.off
	z.zbuf.Reset()
	if z.zw == nil {
		z.zw = zlib.NewWriter(&z.zbuf)
	} else {
		z.zw.Reset(&z.zbuf)
	}
	if _, err := z.zw.Write(data); err != nil {
		return err
	}
	if err := z.zw.Close(); err != nil {
		return err
	}
	if err := z.write(z.zbuf.Bytes()); err != nil {
		return err
	}
	z.entries = z.order.AppendUint64(z.entries, uint64(z.uoff))
	z.entries = z.order.AppendUint64(z.entries, uint64(start))
	z.entries = z.order.AppendUint32(z.entries, uint32(len(data)))
	z.entries = z.order.AppendUint32(z.entries, uint32(z.off-start))
	z.uoff += int64(len(data))
	z.blocks++
	return nil
}

// close compresses the last block, writes the trailer and patches the
// header through ws, leaving the offset at the end of the file.
func (z *zlibWriter) close(ws io.WriteSeeker) error {
	if len(z.pending) > 0 {
		if err := z.block(z.pending); err != nil {
			return err
		}
	}
	trailerAt := z.off
	negBias := int64(-bias)
	t := z.order.AppendUint64(nil, uint64(negBias))
	t = z.order.AppendUint64(t, 0)
	t = z.order.AppendUint32(t, uint32(z.blockSize))
	t = z.order.AppendUint32(t, uint32(z.blocks))
	t = append(t, z.entries...)
	if err := z.write(t); err != nil {
		return err
	}
	if _, err := ws.Seek(z.at+8, io.SeekStart); err != nil {
		return err
	}
	p := z.order.AppendUint64(nil, uint64(trailerAt))
	_, err := ws.Write(z.order.AppendUint64(p, uint64(len(t))))
	return err
}
