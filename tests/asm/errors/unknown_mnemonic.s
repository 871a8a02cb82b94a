; An unknown mnemonic: the nearest table mnemonic or pseudo-instruction
; is suggested.
start:	movi r1, 1
	ad r1, r1, r1
	lii r2, 0x12345
	frobnicate
