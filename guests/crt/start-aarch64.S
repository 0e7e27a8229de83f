/* _start for aarch64 Linux-style static ELF.
 * At entry: [sp] = argc, sp+8 = argv[0..argc-1], NULL, envp..., NULL, auxv.
 * x29 (fp) and x30 (lr) are zeroed so a frame-record walk ends at main's
 * record {fp = 0, lr = _start}; .cfi_undefined x30 marks the outermost frame. */
        .text
        .globl  _start
        .type   _start, %function
        .p2align 2
_start:
        .cfi_startproc
        .cfi_undefined x30
        mov     x29, #0
        mov     x30, #0
        ldr     x0, [sp]                /* argc */
        add     x1, sp, #8              /* argv */
        mov     x2, sp
        and     x2, x2, #~15            /* 16-byte align */
        mov     sp, x2
        bl      main
        mov     x8, #93                 /* exit(main's return value) */
        svc     #0
        brk     #0x3e8
        .cfi_endproc
        .size   _start, . - _start

        .section .note.GNU-stack,"",%progbits
