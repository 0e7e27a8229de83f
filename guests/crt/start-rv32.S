/* _start for rv32 Linux-style static ELF.
 * At entry: [sp] = argc, sp+4 = argv[0..argc-1], NULL, envp..., NULL, auxv.
 * s0 (fp) and ra are zeroed so a frame-pointer walk ends at main's saved
 * {ra = _start, s0 = 0}; .cfi_undefined ra marks the outermost frame. */
        .option norelax
        .text
        .globl  _start
        .type   _start, @function
        .p2align 2
_start:
        .cfi_startproc
        .cfi_undefined ra
        li      s0, 0
        li      ra, 0
        lw      a0, 0(sp)               /* argc */
        addi    a1, sp, 4               /* argv */
        andi    sp, sp, -16             /* 16-byte align */
        call    main
        li      a7, 93                  /* exit(main's return value) */
        ecall
        unimp
        .cfi_endproc
        .size   _start, . - _start

        .section .note.GNU-stack,"",@progbits
