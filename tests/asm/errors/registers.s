; Register names: r0..r15, fp, sp, lr.
	add r16, r1, r2
	mov r99, sp
	not r3, r3
	neg r4, r4
