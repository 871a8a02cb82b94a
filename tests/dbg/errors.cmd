# tzdbg: hello.img
# status: 1
# Bad input: one error line each, and the session goes on.
frobnicate
step 0
step -3
break nosuchlabel
break trap nosuchcause
x/0 0
x/4q 0
x/4 z:0x100
x/2 p:0xfffffff0
info
info trap 12345
guest 7
delete 9
watch p:0x3
help nosuch
help step
step
quit
step
