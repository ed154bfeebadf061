// Boots a MicroPython firmware image in the rp2040js emulator (npm: rp2040js) with the board's
// console on this process's stdin/stdout, so the harness can put it behind a pty and talk raw
// REPL to it like a board on a serial port.
//
//   node rp2040js_run.cjs <firmware.uf2|firmware.hex> <bootrom.bin>
//
// The console is the USB CDC port (MicroPython's rp2 default); bytes go to UART0 until the USB
// port is up, and UART0's output is shown too, so firmware built with a UART console works as
// well. RP2040JS_CONSOLE=uart or =usb forces one. Unlike rp2040js's demo, Ctrl-D does not quit:
// the raw REPL uses it.
//
// RP2040JS_UART1=<unix socket path>: UART1 is bridged to that socket (the network link of the SLIP
// test board; the far end is socketpool_tools/slip_link.py). Bytes the board sends leave at once;
// bytes for the board wait in a queue and are fed into the 32-byte receive FIFO as the firmware
// reads it, as from a sender with hardware flow control: nothing is dropped.
'use strict';

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const FLASH_START = 0x10000000;

function loadRp2040js() {
  const bases = [__dirname, process.cwd(), process.env.SOCKETPOOL_NODE_MODULES].filter(Boolean);
  for (const base of bases) {
    try {
      return createRequire(path.join(path.resolve(base), 'noop.js'))('rp2040js');
    } catch (e) {
      // try the next place
    }
  }
  process.stderr.write('rp2040js is not installed (npm install rp2040js)\n');
  process.exit(2);
}

function loadUf2(data, flash) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let blocks = 0;
  for (let at = 0; at + 512 <= data.length; at += 512) {
    const ok = view.getUint32(at, true) === 0x0a324655 && view.getUint32(at + 4, true) === 0x9e5d5157 &&
      view.getUint32(at + 508, true) === 0x0ab16f30;
    if (!ok) throw new Error('not a UF2 block at byte ' + at);
    const flags = view.getUint32(at + 8, true);
    if (flags & 1) continue; // "not main flash"
    const addr = view.getUint32(at + 12, true);
    const size = view.getUint32(at + 16, true);
    flash.set(data.subarray(at + 32, at + 32 + size), addr - FLASH_START);
    blocks++;
  }
  return blocks;
}

function loadHex(text, flash) {
  let base = 0;
  let records = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line.startsWith(':')) continue;
    const bytes = Buffer.from(line.slice(1), 'hex');
    const count = bytes[0];
    const offset = (bytes[1] << 8) | bytes[2];
    const type = bytes[3];
    const payload = bytes.subarray(4, 4 + count);
    if (type === 0) {
      flash.set(payload, base + offset - FLASH_START);
      records++;
    } else if (type === 4) {
      base = ((payload[0] << 8) | payload[1]) * 0x10000;
    } else if (type === 2) {
      base = ((payload[0] << 8) | payload[1]) * 16;
    } else if (type === 1) {
      break;
    }
  }
  return records;
}

const UART_DR = 0;
const QUEUE_HIGH = 256 * 1024; // stop reading the socket above this many queued bytes

function bridgeUart(uart, socketPath) {
  const net = require('net');
  const sock = net.createConnection(socketPath);
  sock.on('error', (e) => {
    process.stderr.write('rp2040js_run: UART1 link ' + socketPath + ': ' + e.message + '\n');
  });
  sock.on('close', () => { rxQueue = []; });
  // board -> socket: collected and written once per turn of the event loop
  let out = [];
  uart.onByte = (value) => {
    if (!out.length) setImmediate(() => { if (!sock.destroyed) sock.write(Buffer.from(out)); out = []; });
    out.push(value);
  };
  // socket -> board: the FIFO is topped up whenever the firmware reads a byte from it
  let rxQueue = [];
  let rxAt = 0;
  let queued = 0;
  const refill = () => {
    while (queued && uart.rxFIFO.itemCount < uart.rxFIFO.size) {
      const chunk = rxQueue[0];
      uart.feedByte(chunk[rxAt++]);
      queued--;
      if (rxAt === chunk.length) { rxQueue.shift(); rxAt = 0; }
    }
    if (sock.isPaused() && queued < QUEUE_HIGH / 4) sock.resume();
  };
  sock.on('data', (chunk) => {
    rxQueue.push(chunk);
    queued += chunk.length;
    if (queued > QUEUE_HIGH) sock.pause();
    refill();
  });
  const read = uart.readUint32.bind(uart);
  uart.readUint32 = (offset) => {
    const value = read(offset);
    if (offset === UART_DR && queued) refill();
    return value;
  };
}

function main() {
  const [image, bootromPath] = process.argv.slice(2);
  if (!image || !bootromPath) {
    process.stderr.write('usage: node rp2040js_run.cjs <firmware.uf2|.hex> <bootrom.bin>\n');
    process.exit(2);
  }
  const { Simulator, USBCDC, ConsoleLogger, LogLevel } = loadRp2040js();
  const sim = new Simulator();
  const mcu = sim.rp2040;
  mcu.logger = new ConsoleLogger(LogLevel.Error);
  const rom = fs.readFileSync(bootromPath);
  mcu.loadBootrom(new Uint32Array(rom.buffer, rom.byteOffset, Math.floor(rom.length / 4)));
  const loaded = image.toLowerCase().endsWith('.hex')
    ? loadHex(fs.readFileSync(image, 'utf8'), mcu.flash)
    : loadUf2(fs.readFileSync(image), mcu.flash);
  if (!loaded) throw new Error('nothing loaded from ' + image);

  const mode = process.env.RP2040JS_CONSOLE || 'auto';
  const cdc = new USBCDC(mcu.usbCtrl);
  let usbUp = false;
  cdc.onDeviceConnected = () => {
    usbUp = true;
    cdc.sendSerialByte(13); // wake the REPL so it prints a prompt
  };
  cdc.onSerialData = (buf) => process.stdout.write(Buffer.from(buf));
  mcu.uart[0].onByte = (value) => process.stdout.write(Buffer.from([value]));

  // The emulated CDC receive FIFO drops what does not fit, and the raw REPL sends whole scripts
  // at once: host input waits in a queue and is fed as the FIFO has room.
  let queue = Buffer.alloc(0);
  const feed = () => {
    if (!queue.length) return;
    const toUsb = mode === 'usb' || (mode === 'auto' && usbUp);
    if (mode === 'usb' && !usbUp) return;
    let n = queue.length;
    if (toUsb) n = Math.min(n, cdc.txFIFO.size - cdc.txFIFO.itemCount);
    for (let i = 0; i < n; i++) {
      if (toUsb) cdc.sendSerialByte(queue[i]);
      else mcu.uart[0].feedByte(queue[i]);
    }
    queue = queue.subarray(n);
  };
  if (process.stdin.isTTY) process.stdin.setRawMode(true); // Ctrl-C is a byte for the board
  process.stdin.on('data', (chunk) => {
    queue = Buffer.concat([queue, chunk]);
    feed();
  });
  process.stdin.on('end', () => process.exit(0));
  setInterval(feed, 1);
  if (process.env.RP2040JS_UART1) bridgeUart(mcu.uart[1], process.env.RP2040JS_UART1);
  mcu.core.PC = FLASH_START;
  sim.execute();
}

main();
