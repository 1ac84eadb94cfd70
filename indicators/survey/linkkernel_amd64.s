#include "textflag.h"

// func logitWorkAVX(eta, ex, w, y, mu, z, ww *float64, n int, tab *[4][4]float64, flags *[8]float64)
// For four rows at a time (n a multiple of 4): μ = 1/(1+t) for η ≥ 0, t/(1+t) for η < 0
// with t = ex = exp(−|η|); v = μ(1−μ); d = max(eps, v) (NaN kept); z = η + (y−μ)/d;
// ww = w·d·d/v. flags[0:4] collect the lanes of rows with w ≠ 0 and μ outside
// [1e−10, 1−1e−10]; flags[4:8] sum z·0 + ww·0 (NaN once either is not finite).
// tab: 1, eps, 1e−10, 1−1e−10. Multiplications and divisions are not fused, so each
// value is rounded as in logitWorkGo.
TEXT ·logitWorkAVX(SB), NOSPLIT, $0-80
	MOVQ eta+0(FP), AX
	MOVQ ex+8(FP), BX
	MOVQ w+16(FP), CX
	MOVQ y+24(FP), DX
	MOVQ mu+32(FP), SI
	MOVQ z+40(FP), DI
	MOVQ ww+48(FP), R11
	MOVQ n+56(FP), R8
	MOVQ tab+64(FP), R10
	MOVQ flags+72(FP), R9
	VMOVUPD 0(R10), Y15            // 1
	VMOVUPD 32(R10), Y14           // eps
	VMOVUPD 64(R10), Y13           // 1e-10
	VMOVUPD 96(R10), Y12           // 1 - 1e-10
	VXORPD Y11, Y11, Y11           // 0
	VXORPD Y10, Y10, Y10           // boundary lanes
	VXORPD Y9, Y9, Y9              // z·0 + ww·0
	SHLQ $3, R8
	XORQ R12, R12
	CMPQ R8, $0
	JE   ldone

lloop:
	VMOVUPD (AX)(R12*1), Y0        // η
	VMOVUPD (BX)(R12*1), Y1        // t
	VADDPD  Y15, Y1, Y2            // 1 + t
	VCMPPD  $1, Y11, Y0, Y3        // η < 0
	VBLENDVPD Y3, Y1, Y15, Y4      // t where η < 0, else 1
	VDIVPD  Y2, Y4, Y4             // μ
	VSUBPD  Y4, Y15, Y5            // 1 − μ
	VMULPD  Y5, Y4, Y5             // v = μ(1 − μ)
	VMAXPD  Y5, Y14, Y6            // d = max(eps, v), NaN kept
	VCMPPD  $1, Y13, Y4, Y7        // μ < 1e-10
	VCMPPD  $0x0E, Y12, Y4, Y8     // μ > 1 − 1e-10
	VORPD   Y7, Y8, Y7
	VMOVUPD (CX)(R12*1), Y8        // w
	VCMPPD  $4, Y11, Y8, Y3        // w ≠ 0 (NaN included)
	VANDPD  Y3, Y7, Y7
	VORPD   Y7, Y10, Y10
	VMOVUPD (DX)(R12*1), Y3        // y
	VSUBPD  Y4, Y3, Y3             // y − μ
	VDIVPD  Y6, Y3, Y3             // (y − μ)/d
	VADDPD  Y3, Y0, Y3             // z
	VMULPD  Y6, Y8, Y8             // w·d
	VMULPD  Y6, Y8, Y8             // w·d·d
	VDIVPD  Y5, Y8, Y8             // ww
	VMULPD  Y11, Y3, Y0
	VMULPD  Y11, Y8, Y1
	VADDPD  Y1, Y0, Y0
	VADDPD  Y0, Y9, Y9
	VMOVUPD Y4, (SI)(R12*1)
	VMOVUPD Y3, (DI)(R12*1)
	VMOVUPD Y8, (R11)(R12*1)
	ADDQ $32, R12
	CMPQ R12, R8
	JB   lloop

ldone:
	VMOVUPD Y10, 0(R9)
	VMOVUPD Y9, 32(R9)
	VZEROUPPER
	RET

// func logAVX(dst, src *float64, n int, tab *[17][4]float64): dst[r] = log(src[r]) for
// positive normal finite src[r] (the caller redoes the others), n a multiple of 4, by
// the algorithm of Go's math.Log (FreeBSD's e_log.c): src = f1·2^k with f1 in
// [√2/2, √2), f = f1 − 1, s = f/(2+f), a polynomial in s² for log(1+f), k·ln 2 in two
// parts. tab (logTab): the mantissa mask, the bits of 0.5, √2/2, the integer
// 0x4338000000000000 − 1022, 1.5·2^52, 1, 2, 0.5, L1…L7, Ln2Hi, Ln2Lo.
TEXT ·logAVX(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), R8
	MOVQ tab+24(FP), R9
	SHLQ $3, R8
	XORQ R10, R10
	CMPQ R8, $0
	JE   gdone

gloop:
	VMOVUPD (SI)(R10*1), Y0
	VPSRLQ  $52, Y0, Y1            // biased exponent
	VANDPD  0(R9), Y0, Y2
	VORPD   32(R9), Y2, Y2         // f1 in [0.5, 1)
	VCMPPD  $1, 64(R9), Y2, Y3     // f1 < √2/2
	VANDPD  Y3, Y2, Y4
	VADDPD  Y4, Y2, Y2             // f1 *= 2 there
	VPADDQ  Y3, Y1, Y1             // and the exponent − 1
	VPADDQ  96(R9), Y1, Y1
	VSUBPD  128(R9), Y1, Y1        // k
	VSUBPD  160(R9), Y2, Y2        // f = f1 − 1
	VADDPD  192(R9), Y2, Y3
	VDIVPD  Y3, Y2, Y3             // s = f/(2 + f)
	VMULPD  Y3, Y3, Y4             // s2
	VMULPD  Y4, Y4, Y5             // s4
	VMULPD  448(R9), Y5, Y6        // t1 = s2·(L1 + s4·(L3 + s4·(L5 + s4·L7)))
	VADDPD  384(R9), Y6, Y6
	VMULPD  Y5, Y6, Y6
	VADDPD  320(R9), Y6, Y6
	VMULPD  Y5, Y6, Y6
	VADDPD  256(R9), Y6, Y6
	VMULPD  Y4, Y6, Y6
	VMULPD  416(R9), Y5, Y7        // t2 = s4·(L2 + s4·(L4 + s4·L6))
	VADDPD  352(R9), Y7, Y7
	VMULPD  Y5, Y7, Y7
	VADDPD  288(R9), Y7, Y7
	VMULPD  Y5, Y7, Y7
	VADDPD  Y7, Y6, Y6             // R = t1 + t2
	VMULPD  224(R9), Y2, Y7
	VMULPD  Y2, Y7, Y7             // hfsq = 0.5·f·f
	VADDPD  Y6, Y7, Y6             // hfsq + R
	VMULPD  Y3, Y6, Y6             // s·(hfsq + R)
	VMULPD  512(R9), Y1, Y8        // k·Ln2Lo
	VADDPD  Y8, Y6, Y6
	VSUBPD  Y6, Y7, Y6             // hfsq − (…)
	VSUBPD  Y2, Y6, Y6             // (…) − f
	VMULPD  480(R9), Y1, Y8        // k·Ln2Hi
	VSUBPD  Y6, Y8, Y8
	VMOVUPD Y8, (DI)(R10*1)
	ADDQ $32, R10
	CMPQ R10, R8
	JB   gloop

gdone:
	VZEROUPPER
	RET
