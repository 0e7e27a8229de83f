// Linux errno values (asm-generic/errno-base.h, asm-generic/errno.h); the same on all
// four guest arches.

export const ERRNO = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14,
  EEXIST: 17, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, EMFILE: 24, ENOTTY: 25, EFBIG: 27, ESPIPE: 29, EROFS: 30,
  ERANGE: 34, ENAMETOOLONG: 36, ENOSYS: 38, ELOOP: 40, ETIMEDOUT: 110,
} as const;

export type Errno = keyof typeof ERRNO;
