import { createReadStream } from 'node:fs';

/**
 * Splits an mbox file into raw messages, streaming. A message starts at a "From " line at the start
 * of the file or after an empty line; the "From " separator line itself is dropped. Escaped body
 * lines (">From ", ">>From " in mboxrd) lose one ">". Bytes are kept as they are (8-bit safe).
 */
export async function* readMbox(path: string): AsyncGenerator<Buffer> {
  let current: Buffer[] = [];
  let started = false;
  let previousBlank = true;
  let rest = Buffer.alloc(0);
  const finish = (): Buffer | undefined => {
    if (!started) return undefined;
    // The empty line before the next "From " belongs to the separator, not the message.
    let msg = Buffer.concat(current);
    if (msg.subarray(-2).toString() === '\n\n') msg = msg.subarray(0, msg.length - 1);
    else if (msg.subarray(-4).toString() === '\r\n\r\n') msg = msg.subarray(0, msg.length - 2);
    return msg;
  };
  const onLine = (line: Buffer): Buffer | undefined => {
    let out: Buffer | undefined;
    if (previousBlank && line.subarray(0, 5).toString('latin1') === 'From ') {
      out = finish();
      current = [];
      started = true;
      previousBlank = false;
      return out;
    }
    if (/^>+From /.test(line.subarray(0, 64).toString('latin1'))) line = line.subarray(1);
    previousBlank = line.length === 1 || (line.length === 2 && line[0] === 13);
    if (started) current.push(line);
    return undefined;
  };
  for await (const chunk of createReadStream(path)) {
    let buf = rest.length > 0 ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10)) {
      const msg = onLine(buf.subarray(0, nl + 1));
      if (msg) yield msg;
      buf = buf.subarray(nl + 1);
    }
    rest = Buffer.from(buf);
  }
  if (rest.length > 0) onLine(rest);
  const last = finish();
  if (last && last.length > 0) yield last;
}
