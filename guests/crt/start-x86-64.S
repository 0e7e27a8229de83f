/* _start for x86-64 Linux-style static ELF.
 * At entry: [rsp] = argc, rsp+8 = argv[0..argc-1], NULL, envp..., NULL, auxv.
 * rbp is zeroed so a frame-pointer walk stops at main's saved rbp (= 0);
 * .cfi_undefined rip tells a CFI unwinder there is no caller. */
        .text
        .globl  _start
        .type   _start, @function
        .p2align 4
_start:
        .cfi_startproc
        .cfi_undefined rip
        xorl    %ebp, %ebp
        movq    (%rsp), %rdi            /* argc */
        leaq    8(%rsp), %rsi           /* argv */
        andq    $-16, %rsp              /* 16-byte align before call */
        callq   main
        movl    %eax, %edi              /* exit(main's return value) */
        movl    $60, %eax
        syscall
        hlt
        .cfi_endproc
        .size   _start, . - _start

        .section .note.GNU-stack,"",@progbits
