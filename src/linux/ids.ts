// The guest's fixed identities and the virtual clock's epoch: the same on every run and host.

export const GUEST_PID = 1000;
export const GUEST_UID = 1000;
export const GUEST_GID = 1000;
/** The virtual clock starts at 2024-01-01T00:00:00Z. */
export const CLOCK_EPOCH_SEC = 1_704_067_200n;
/** What uname(2), /proc/version and /proc/sys/kernel report. */
export const KERNEL = { sysname: 'Linux', release: '6.1.0', version: '#1 SMP crashlab', hostname: 'crashlab', domainname: '(none)' } as const;
