// The guest's file system put together for a run: the lower layers (the --fs directory,
// or none), the overlay with its --fs-limit, /dev and /proc, and the running program's
// own file behind /proc/self/exe.

import { basename } from 'node:path';
import { CLOCK_EPOCH_SEC } from '../ids.js';
import type { RunInputs } from '../fs.js';
import { devTree, type DeviceHooks } from './dev.js';
import { FileInode, FixedContent, inodeOf } from './inode.js';
import { HostDirLayer } from './layer.js';
import { procTree, type ExeImage, type ProcSource } from './proc.js';
import { Vfs } from './vfs.js';

export { Vfs } from './vfs.js';
export { FsContext } from './context.js';

/** --fs-limit's default: 256 MiB. */
export const DEFAULT_FS_LIMIT = 256 << 20;

/** A read-only host directory under the overlay, seen at the guest's "/". */
export interface LayerSpec {
  dir: string;
  /** Names the layer in the replay's record ("fs", "sysroot"); unique in a run. */
  name: string;
}

export interface FileSystemSpec {
  /** The lower layers, top first ([] for an empty root): --fs, then (for dynamic programs) a sysroot. */
  layers: readonly LayerSpec[];
  /** --fs-limit in bytes. */
  limit: number;
  inputs: RunInputs;
  /** The virtual clock's nanoseconds since the run began, without moving it. */
  clockNs(): bigint;
  devices: DeviceHooks;
  proc: ProcSource;
}

export function buildFileSystem(spec: FileSystemSpec): Vfs {
  const epochNs = CLOCK_EPOCH_SEC * 1_000_000_000n;
  const layers = spec.layers.map((l) => new HostDirLayer(l.dir, l.name, spec.inputs));
  return new Vfs({
    layers,
    limit: spec.limit,
    now: () => epochNs + spec.clockNs(),
    epochNs,
    mounts: { dev: devTree(spec.devices), proc: procTree(spec.proc) },
  });
}

/** The running program as /proc/self/exe shows it: its guest path and bytes (read-only: ETXTBSY). */
export function exeImage(vfs: Vfs, path: string, bytes: Uint8Array, segments: ExeImage['segments']): ExeImage {
  const core = vfs.core;
  const inode = new FileInode(core, inodeOf(path), 0o755, core.epoch, new FixedContent(bytes), 'ETXTBSY');
  inode.parent = vfs.root;
  inode.name = path.replace(/^\/+/, '') || basename(path);
  return { path, inode, segments };
}

export type { DeviceHooks, ProcSource };
