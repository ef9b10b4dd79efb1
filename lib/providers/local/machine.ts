import { hostname, uptime } from 'node:os';
import si from 'systeminformation';

/** The machine's identity as a resource id, stable across restarts. */
export function machineId(): string {
  return `local:${hostname()}`;
}

export function bootTime(now: Date): Date {
  return new Date(now.getTime() - uptime() * 1000);
}

export interface MachineSample {
  cpuPercent: number;
  memTotal: number;
  memAvailable: number;
  load1: number;
  disks: { mount: string; size: number; used: number; usePercent: number }[];
  net: { iface: string; rxPerSec: number; txPerSec: number }[];
}

/**
 * One reading of the machine. Network rates need two readings; we take them `intervalMs`
 * apart (systeminformation computes the per-second rate from the pair).
 */
export async function sampleMachine(intervalMs = 1000): Promise<MachineSample> {
  await si.networkStats('*');
  const [load, mem, fs] = await Promise.all([si.currentLoad(), si.mem(), si.fsSize()]);
  await new Promise((r) => setTimeout(r, intervalMs));
  const net = await si.networkStats('*');
  return {
    cpuPercent: load.currentLoad,
    memTotal: mem.total,
    memAvailable: mem.available,
    load1: load.avgLoad,
    disks: fs
      .filter((d) => d.size > 0 && !/^\/(proc|sys|dev|run)\b/.test(d.mount))
      .map((d) => ({ mount: d.mount, size: d.size, used: d.used, usePercent: d.use })),
    net: net
      .filter((n) => n.iface !== 'lo')
      .map((n) => ({
        iface: n.iface,
        rxPerSec: Math.max(0, n.rx_sec ?? 0),
        txPerSec: Math.max(0, n.tx_sec ?? 0),
      })),
  };
}

export interface MachineInventory {
  hostname: string;
  os: string;
  cpuModel: string;
  vcpus: number;
  memoryGib: number;
  gpus: { model: string; vramMib: number | null }[];
  arch: string;
}

export async function describeMachine(): Promise<MachineInventory> {
  const [os, cpu, mem, graphics] = await Promise.all([
    si.osInfo(),
    si.cpu(),
    si.mem(),
    si.graphics().catch(() => ({ controllers: [] as si.Systeminformation.GraphicsControllerData[] })),
  ]);
  const gpus = graphics.controllers
    .filter((g) => /nvidia|amd|radeon|intel arc/i.test(`${g.vendor} ${g.model}`))
    .map((g) => ({ model: g.model, vramMib: g.vram ?? null }));
  return {
    hostname: hostname(),
    os: `${os.distro} ${os.release}`.trim(),
    cpuModel: `${cpu.manufacturer} ${cpu.brand}`.trim(),
    vcpus: cpu.cores,
    memoryGib: Math.round((mem.total / 1024 ** 3) * 100) / 100,
    gpus,
    arch: os.arch,
  };
}
