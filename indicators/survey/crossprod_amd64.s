#include "textflag.h"

// func tile42AVX(w, u0, u1, u2, u3, x0, x1 *float64, n int, out *[32]float64)
// out[8i+4k : 8i+4k+4] holds the four lane sums of Σ w[r]·u_i[r]·x_k[r], n a multiple
// of 4.
TEXT ·tile42AVX(SB), NOSPLIT, $0-72
	MOVQ w+0(FP), R11
	MOVQ u0+8(FP), AX
	MOVQ u1+16(FP), BX
	MOVQ u2+24(FP), CX
	MOVQ u3+32(FP), DX
	MOVQ x0+40(FP), SI
	MOVQ x1+48(FP), DI
	MOVQ n+56(FP), R8
	MOVQ out+64(FP), R9
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	SHLQ $3, R8
	XORQ R10, R10
	CMPQ R8, $0
	JE   done

loop:
	VMOVUPD (R11)(R10*1), Y14
	VMOVUPD (SI)(R10*1), Y8
	VMOVUPD (DI)(R10*1), Y9
	VMULPD  (AX)(R10*1), Y14, Y10
	VFMADD231PD Y8, Y10, Y0
	VFMADD231PD Y9, Y10, Y1
	VMULPD  (BX)(R10*1), Y14, Y11
	VFMADD231PD Y8, Y11, Y2
	VFMADD231PD Y9, Y11, Y3
	VMULPD  (CX)(R10*1), Y14, Y12
	VFMADD231PD Y8, Y12, Y4
	VFMADD231PD Y9, Y12, Y5
	VMULPD  (DX)(R10*1), Y14, Y13
	VFMADD231PD Y8, Y13, Y6
	VFMADD231PD Y9, Y13, Y7
	ADDQ $32, R10
	CMPQ R10, R8
	JB   loop

done:
	VMOVUPD Y0, 0(R9)
	VMOVUPD Y1, 32(R9)
	VMOVUPD Y2, 64(R9)
	VMOVUPD Y3, 96(R9)
	VMOVUPD Y4, 128(R9)
	VMOVUPD Y5, 160(R9)
	VMOVUPD Y6, 192(R9)
	VMOVUPD Y7, 224(R9)
	VZEROUPPER
	RET

// func axpyAVX(y, x *float64, alpha float64, n int): y[r] += x[r]·alpha (a multiply
// and an add, not fused: the same rounding as the scalar loop), n a multiple of 4.
TEXT ·axpyAVX(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	VBROADCASTSD alpha+16(FP), Y1
	MOVQ n+24(FP), R8
	SHLQ $3, R8
	XORQ R10, R10
	CMPQ R8, $0
	JE   adone

aloop:
	VMULPD  (SI)(R10*1), Y1, Y0
	VADDPD  (DI)(R10*1), Y0, Y0
	VMOVUPD Y0, (DI)(R10*1)
	ADDQ $32, R10
	CMPQ R10, R8
	JB   aloop

adone:
	VZEROUPPER
	RET

// func cpuid(eax, ecx uint32) (a, b, c, d uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eax+0(FP), AX
	MOVL ecx+4(FP), CX
	CPUID
	MOVL AX, a+8(FP)
	MOVL BX, b+12(FP)
	MOVL CX, c+16(FP)
	MOVL DX, d+20(FP)
	RET

// func xgetbv0() uint32
TEXT ·xgetbv0(SB), NOSPLIT, $0-4
	MOVL $0, CX
	XGETBV
	MOVL AX, ret+0(FP)
	RET

// func expNegAVX(dst, src *float64, n int, tab *[20][4]float64): dst[r] = exp(−|src[r]|),
// n a multiple of 4 (expTab: Cody–Waite reduction, degree-13 Taylor polynomial, 2^k by
// the exponent bits; arguments below −708 are raised to −708; NaN stays NaN).
TEXT ·expNegAVX(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), R8
	MOVQ tab+24(FP), R9
	SHLQ $3, R8
	XORQ R10, R10
	CMPQ R8, $0
	JE   edone

eloop:
	VMOVUPD (SI)(R10*1), Y0
	VORPD   0(R9), Y0, Y0          // −|x|
	VMOVUPD 32(R9), Y1
	VMAXPD  Y0, Y1, Y0             // max(−708, x), NaN kept
	VMULPD  64(R9), Y0, Y2         // x·log2(e)
	VROUNDPD $0, Y2, Y2            // k, to nearest
	VMOVAPD Y0, Y3
	VFNMADD231PD 96(R9), Y2, Y3    // r = x − k·ln2hi
	VFNMADD231PD 128(R9), Y2, Y3   // r −= k·ln2lo
	VMOVUPD 192(R9), Y4            // c13
	VFMADD213PD 224(R9), Y3, Y4
	VFMADD213PD 256(R9), Y3, Y4
	VFMADD213PD 288(R9), Y3, Y4
	VFMADD213PD 320(R9), Y3, Y4
	VFMADD213PD 352(R9), Y3, Y4
	VFMADD213PD 384(R9), Y3, Y4
	VFMADD213PD 416(R9), Y3, Y4
	VFMADD213PD 448(R9), Y3, Y4
	VFMADD213PD 480(R9), Y3, Y4
	VFMADD213PD 512(R9), Y3, Y4
	VFMADD213PD 544(R9), Y3, Y4
	VFMADD213PD 576(R9), Y3, Y4
	VFMADD213PD 608(R9), Y3, Y4    // c0 = 1
	VCVTPD2DQY Y2, X5
	VPMOVSXDQ X5, Y5
	VPADDQ  160(R9), Y5, Y5        // k + 1023
	VPSLLQ  $52, Y5, Y5            // 2^k
	VMULPD  Y5, Y4, Y4
	VMOVUPD Y4, (DI)(R10*1)
	ADDQ $32, R10
	CMPQ R10, R8
	JB   eloop

edone:
	VZEROUPPER
	RET

// func axpy4AVX(y, x0, x1, x2, x3 *float64, a *[4]float64, n int): y[r] += x_k[r]·a[k]
// for k = 0…3 in turn (multiplies and adds, not fused: the rounding of four axpy
// calls), n a multiple of 4; y is loaded and stored once for the four columns.
TEXT ·axpy4AVX(SB), NOSPLIT, $0-56
	MOVQ y+0(FP), DI
	MOVQ x0+8(FP), AX
	MOVQ x1+16(FP), BX
	MOVQ x2+24(FP), CX
	MOVQ x3+32(FP), DX
	MOVQ a+40(FP), SI
	MOVQ n+48(FP), R8
	VBROADCASTSD 0(SI), Y4
	VBROADCASTSD 8(SI), Y5
	VBROADCASTSD 16(SI), Y6
	VBROADCASTSD 24(SI), Y7
	SHLQ $3, R8
	XORQ R10, R10
	CMPQ R8, $0
	JE   a4done

a4loop:
	VMOVUPD (DI)(R10*1), Y0
	VMULPD  (AX)(R10*1), Y4, Y1
	VADDPD  Y1, Y0, Y0
	VMULPD  (BX)(R10*1), Y5, Y1
	VADDPD  Y1, Y0, Y0
	VMULPD  (CX)(R10*1), Y6, Y1
	VADDPD  Y1, Y0, Y0
	VMULPD  (DX)(R10*1), Y7, Y1
	VADDPD  Y1, Y0, Y0
	VMOVUPD Y0, (DI)(R10*1)
	ADDQ $32, R10
	CMPQ R10, R8
	JB   a4loop

a4done:
	VZEROUPPER
	RET

// func indicatorAVX(dst *float64, codes *int32, level int32, n int): dst[r] = 1 where
// codes[r] == level, else 0; n a multiple of 4.
TEXT ·indicatorAVX(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ codes+8(FP), SI
	MOVL level+16(FP), AX
	MOVQ n+24(FP), R8
	VMOVD AX, X1
	VPBROADCASTD X1, X1
	MOVQ $0x3ff0000000000000, R9
	VMOVQ R9, X2
	VPBROADCASTQ X2, Y2
	SHLQ $2, R8
	XORQ R10, R10
	XORQ R11, R11
	CMPQ R8, $0
	JE   idone

iloop:
	VMOVDQU (SI)(R10*1), X0
	VPCMPEQD X1, X0, X0
	VPMOVSXDQ X0, Y0
	VANDPD  Y2, Y0, Y0
	VMOVUPD Y0, (DI)(R11*1)
	ADDQ $16, R10
	ADDQ $32, R11
	CMPQ R10, R8
	JB   iloop

idone:
	VZEROUPPER
	RET
