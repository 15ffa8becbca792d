/**
 * libvirt's QEMU save image (what `virsh save` writes): a 92-byte header, then `dataLen` bytes
 * holding the domain XML (NUL-terminated) and, at `cookieOffset` inside them, libvirt's cookie,
 * padded with NULs; QEMU's migration stream follows. Layout from libvirt's qemu_saveimage.h
 * (virQEMUSaveHeader: magic[16], version, data_len, was_running, compressed, cookieOffset,
 * unused[14], all uint32 in host order, little-endian on x86).
 *
 * Why we touch it at all: libvirt refuses `restore --xml` with another UUID than the saved one
 * ("Target domain uuid ... does not match source", libvirt 9.0), so two restores of one
 * snapshot could never run side by side. Each restore therefore gets its own copy of the state
 * file with its own XML in the header; libvirt then restores that XML as it is. The copy is a
 * page-cache copy (40 ms for 120 MB here); the migration stream is not changed.
 */
import { copyFile, open, rm } from "node:fs/promises";

const magic = "LibvirtQemudSave";
const headerBytes = 92;

export interface SaveImageHeader {
  version: number;
  dataLen: number;
  wasRunning: number;
  compressed: number;
  cookieOffset: number;
  /** The domain XML libvirt restores. */
  xml: string;
  /** libvirt's cookie (XML), kept as it is. */
  cookie: string;
}

export class SaveImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SaveImageError";
  }
}

/** The header of a save image, from its first `headerBytes + dataLen` bytes. */
export function parseSaveImageHeader(bytes: Buffer): SaveImageHeader {
  if (bytes.length < headerBytes || bytes.toString("latin1", 0, 16) !== magic) {
    throw new SaveImageError("not a libvirt QEMU save image (no LibvirtQemudSave magic)");
  }
  const word = (index: number) => bytes.readUInt32LE(16 + index * 4);
  const [version, dataLen, wasRunning, compressed, cookieOffset] = [word(0), word(1), word(2), word(3), word(4)];
  if (version !== 2) throw new SaveImageError(`save image version ${version} is not supported (expected 2)`);
  if (bytes.length < headerBytes + dataLen) throw new SaveImageError("save image header is truncated");
  const data = bytes.subarray(headerBytes, headerBytes + dataLen);
  const xmlEnd = data.indexOf(0);
  if (xmlEnd <= 0 || cookieOffset < xmlEnd || cookieOffset >= dataLen) throw new SaveImageError("save image header has no domain XML or cookie");
  const cookieEnd = data.indexOf(0, cookieOffset);
  return {
    version,
    dataLen,
    wasRunning,
    compressed,
    cookieOffset,
    xml: data.toString("utf8", 0, xmlEnd),
    cookie: data.toString("utf8", cookieOffset, cookieEnd === -1 ? dataLen : cookieEnd),
  };
}

/**
 * The header bytes with `xml` in place of the domain XML: the cookie moves right behind it and the
 * padding shrinks, so the data length (and the migration stream's offset) stays the same.
 */
export function renderSaveImageHeader(header: SaveImageHeader, xml: string): Buffer {
  const xmlBytes = Buffer.from(`${xml}\0`, "utf8");
  const cookieBytes = Buffer.from(`${header.cookie}\0`, "utf8");
  if (xmlBytes.length + cookieBytes.length > header.dataLen) {
    throw new SaveImageError(`the new domain XML (${xmlBytes.length} bytes) does not fit the save image's ${header.dataLen}-byte header`);
  }
  const out = Buffer.alloc(headerBytes + header.dataLen);
  out.write(magic, 0, "latin1");
  const words = [header.version, header.dataLen, header.wasRunning, header.compressed, xmlBytes.length];
  words.forEach((value, index) => out.writeUInt32LE(value, 16 + index * 4));
  xmlBytes.copy(out, headerBytes);
  cookieBytes.copy(out, headerBytes + xmlBytes.length);
  return out;
}

/** Reads the header of the save image at `path`. */
export async function readSaveImageHeader(path: string): Promise<SaveImageHeader> {
  const handle = await open(path, "r");
  try {
    const fixed = Buffer.alloc(headerBytes);
    await handle.read(fixed, 0, headerBytes, 0);
    const dataLen = fixed.length >= 24 ? fixed.readUInt32LE(20) : 0;
    // libvirt pads to at least 64 KiB; anything over 16 MiB is not a header.
    if (dataLen > 16 * 1024 * 1024) throw new SaveImageError(`save image ${path} claims a ${dataLen}-byte header`);
    const all = Buffer.alloc(headerBytes + dataLen);
    await handle.read(all, 0, all.length, 0);
    return parseSaveImageHeader(all);
  } finally {
    await handle.close();
  }
}

/** Copies the save image `source` to `target` (0600, must not exist) with `xml` as its domain XML. */
export async function copySaveImageWithXml(source: string, target: string, xml: string): Promise<void> {
  const header = await readSaveImageHeader(source);
  const bytes = renderSaveImageHeader(header, xml);
  try {
    await copyFile(source, target, 1 /* COPYFILE_EXCL */);
    const handle = await open(target, "r+");
    try {
      await handle.chmod(0o600);
      await handle.write(bytes, 0, bytes.length, 0);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") await rm(target, { force: true });
    throw error;
  }
}
