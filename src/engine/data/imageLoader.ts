// Image-folder source: <folder>/<class>/<image>.png|.jpg|.jpeg. Class index = the number when every sub-folder
// name is a non-negative integer, else the position in sorted name order (the train folder defines the order; the
// test folder must use the same names). Images must already have the input's height and width (no resizing:
// silently resampled data would change what robustness numbers mean).

import * as jpeg from 'jpeg-js';
import { DataError, fsError } from './errors';
import { declaredImageSize } from './imageHeader';
import { checkSize } from './limits';
import type { LabeledArrays } from './npyLoader';
import { resolveInWorkspace } from './paths';
import { readWorkspaceFile } from './files';
import { host, type HostStats } from '../../protocol/host';

const IMAGE_EXT = /\.(png|jpe?g)$/i;

export interface ClassMap {
  names: string[];
  index: Map<string, number>;
}

async function classFolders(root: string, folder: string): Promise<string[]> {
  const real = await resolveInWorkspace(root, folder);
  const { fs, path } = host();
  let entries: { name: string; stat: HostStats }[];
  try {
    entries = (await fs.readdir(real)).filter((name) => !name.startsWith('.')).map((name) => ({ name, stat: fs.lstatSync(path.join(real, name)) }));
  } catch (e) {
    throw fsError(e, folder);
  }
  const names: string[] = [];
  for (const e of entries) {
    if (e.stat.isDirectory()) names.push(e.name);
    else if (e.stat.isSymbolicLink()) {
      const target = await resolveInWorkspace(root, path.join(folder, e.name));
      if ((await fs.stat(target)).isDirectory()) names.push(e.name);
    }
  }
  if (names.length === 0) {
    throw new DataError('empty folder: expected one sub-folder of PNG/JPEG images per class', folder);
  }
  return names.sort();
}

export function classMapFor(names: string[]): ClassMap {
  const numeric = names.every((n) => /^\d+$/.test(n));
  const index = new Map<string, number>();
  names.forEach((n, i) => index.set(n, numeric ? Number.parseInt(n, 10) : i));
  return { names, index };
}

function decode(buf: Uint8Array, file: string): { width: number; height: number; rgba: Uint8Array } {
  try {
    if (/\.png$/i.test(file)) {
      return host().decodePng(buf);
    }
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
    return { width: img.width, height: img.height, rgba: img.data };
  } catch (e) {
    throw new DataError(`cannot decode image (${e instanceof Error ? e.message : String(e)})`, file);
  }
}

/** Writes one decoded RGBA image into `out` at `offset` with `channels` channels (1: luma, 3: RGB, 4: RGBA). */
function writePixels(rgba: Uint8Array, channels: number, out: Uint8Array, offset: number): void {
  const pixels = rgba.length / 4;
  for (let p = 0; p < pixels; p++) {
    const r = rgba[4 * p] as number;
    const g = rgba[4 * p + 1] as number;
    const b = rgba[4 * p + 2] as number;
    if (channels === 1) {
      out[offset + p] = r === g && g === b ? r : Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    } else {
      for (let c = 0; c < channels; c++) out[offset + p * channels + c] = rgba[4 * p + c] as number;
    }
  }
}

function checkImageSize(img: { width: number; height: number }, w: number, h: number, file: string): void {
  if (img.width !== w || img.height !== h) {
    throw new DataError(`image is ${img.width}x${img.height} (width x height), expected ${w}x${h} from input.shape`, file);
  }
}

/** Loads a class-folder tree. Pass the train split's class map when loading the test split. */
export async function loadImageFolder(
  root: string,
  folder: string,
  inputShape: readonly number[],
  classes: number,
  maxBytes: number,
  trainClasses?: ClassMap,
): Promise<LabeledArrays & { classMap: ClassMap }> {
  if (inputShape.length !== 3) {
    throw new DataError(`image folders need an input.shape of [height, width, channels], got [${inputShape.join(', ')}]`, folder);
  }
  const [h, w, ch] = inputShape as [number, number, number];
  if (ch !== 1 && ch !== 3 && ch !== 4) {
    throw new DataError(`images can have 1, 3 or 4 channels, input.shape asks for ${ch}`, folder);
  }
  const names = await classFolders(root, folder);
  const map = trainClasses ?? classMapFor(names);
  const files: { rel: string; label: number }[] = [];
  for (const name of names) {
    const label = map.index.get(name);
    if (label === undefined) {
      throw new DataError(
        `class folder '${name}' does not exist in the train folder (classes: ${map.names.join(', ')})`,
        host().path.join(folder, name),
      );
    }
    if (label >= classes) {
      throw new DataError(
        `class folder '${name}' maps to class index ${label}, outside 0..${classes - 1} (model classes: ${classes})`,
        host().path.join(folder, name),
      );
    }
    const dir = host().path.join(folder, name);
    let entries: string[];
    try {
      entries = await host().fs.readdir(await resolveInWorkspace(root, dir));
    } catch (e) {
      throw e instanceof DataError ? e : fsError(e, dir);
    }
    const images = entries.filter((f) => IMAGE_EXT.test(f) && !f.startsWith('.')).sort();
    if (images.length === 0) throw new DataError('class folder has no .png, .jpg or .jpeg images', dir);
    for (const f of images) files.push({ rel: host().path.join(dir, f), label });
  }
  const perSample = h * w * ch;
  checkSize(files.length * perSample * 4, maxBytes, folder, `${files.length} images of ${h}x${w}x${ch}`);

  const x = new Uint8Array(files.length * perSample);
  const y = new Int32Array(files.length);
  for (let i = 0; i < files.length; i++) {
    const { rel, label } = files[i] as { rel: string; label: number };
    const buf = await readWorkspaceFile(root, rel, maxBytes);
    // The declared size is checked before decoding: a small file may declare a huge image (a decompression bomb).
    checkImageSize(declaredImageSize(buf, rel), w, h, rel);
    const img = decode(buf, rel);
    checkImageSize(img, w, h, rel);
    writePixels(img.rgba, ch, x, i * perSample);
    y[i] = label;
  }
  return {
    x: { dtype: '|u1', shape: [files.length, h, w, ch], data: x },
    y: { dtype: '<i4', shape: [files.length], data: y },
    xFile: folder,
    yFile: `${folder} (class folders)`,
    origin: `image folder ${folder} (${names.length} classes: ${names.join(', ')})`,
    source: 'bytes',
    classMap: map,
  };
}
