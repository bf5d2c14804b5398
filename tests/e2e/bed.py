#!/usr/bin/env python3
"""The s390x test bed: an initramfs with busybox, zpcitrace, the guest VMM program and the kernel's vfio
modules, booted under qemu-system-s390x (TCG) with two zPCI virtio-rng functions, one of them behind the
zPCI IOMMU. Results come back over the console and as a tar on a virtio-blk disk.

  bed.py initrd [--kernel-dir K] --busybox B --bin FILE... [--tree DIR...] --out BASE.cpio.gz   (no K: all built in)
  bed.py initrd --system --kernel-dir K --busybox B --out SYSTEM.cpio.gz
  bed.py run --kernel-dir K --initrd BASE.cpio.gz --out RUNDIR [--conf 'KEY=VALUE'...] [--live] [--timeout S]
             [--mem MIB] [--smp N] [--root DIR]

A run appends a small cpio with /scenario.conf to the base initramfs (the kernel unpacks concatenated
archives), so one base image serves every scenario.

The system bed (--system, tests/e2e/system.py) is the other kind: its initramfs only mounts a Debian root the host
shares over virtio-9p (run --root DIR) and starts its systemd; results are files the guest leaves in that root.
"""
import argparse
import lzma
import os
import re
import json
import select
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# what the guest needs: the results disk, and vfio-pci with the type1 IOMMU backend
WANTED_MODULES = ["virtio_blk", "vfio_iommu_type1", "vfio-pci"]
# the system bed's initramfs: just the 9p root (the root's own modprobe loads vfio)
SYSTEM_MODULES = ["9pnet_virtio", "9p"]


def norm(name):
    return name.replace("-", "_")


def module_files(moddir):
    """module name -> path of its .ko(.xz)"""
    found = {}
    for root, _, files in os.walk(os.path.join(moddir, "kernel")):
        for f in files:
            m = re.match(r"(.+)\.ko(\.xz)?$", f)
            if m:
                found[norm(m.group(1))] = os.path.join(root, f)
    return found


def read_module(path):
    with open(path, "rb") as f:
        data = f.read()
    return lzma.decompress(data) if path.endswith(".xz") else data


def module_depends(blob):
    for field in blob.split(b"\0"):
        if field.startswith(b"depends="):
            return [norm(d) for d in field[8:].decode().split(",") if d]
    return []


def module_closure(moddir, wanted):
    """modules to insmod, dependencies first, as (name, elf bytes); built-in ones are skipped"""
    files = module_files(moddir)
    builtin = set()
    bpath = os.path.join(moddir, "modules.builtin")
    if os.path.exists(bpath):
        builtin = {norm(os.path.basename(l.strip()).split(".ko")[0]) for l in open(bpath)}
    order, seen = [], set()

    def visit(name):
        name = norm(name)
        if name in seen or name in builtin:
            return
        seen.add(name)
        if name not in files:
            sys.exit(f"bed: module {name} is neither built in nor in {moddir}")
        blob = read_module(files[name])
        for dep in module_depends(blob):
            visit(dep)
        order.append((name, blob))

    for w in wanted:
        visit(w)
    return order


def cpio(root, out, append_to=None):
    """gzip'ed newc cpio of root; appended to a copy of append_to when given"""
    os.chmod(root, 0o755)  # its "." becomes the guest's /: users other than root must get through it
    with open(out, "wb") as o:
        if append_to:
            with open(append_to, "rb") as base:
                shutil.copyfileobj(base, o)
            # the kernel finds the next archive only at a 4-byte boundary ("broken padding" otherwise)
            o.write(b"\0" * (-o.tell() % 4))
            o.flush()
        find = subprocess.Popen(["find", "."], cwd=root, stdout=subprocess.PIPE)
        arch = subprocess.Popen(["cpio", "-o", "-H", "newc", "--quiet"], cwd=root, stdin=find.stdout,
                                stdout=subprocess.PIPE)
        gz = subprocess.Popen(["gzip", "-1"], stdin=arch.stdout, stdout=o)
        find.stdout.close()
        arch.stdout.close()
        if gz.wait() or arch.wait() or find.wait():
            sys.exit("bed: cpio failed")


def cmd_initrd(a):
    with tempfile.TemporaryDirectory() as r:
        for d in ("bin", "sbin", "proc", "sys", "dev", "tmp", "mods"):
            os.makedirs(os.path.join(r, d))
        shutil.copy(a.busybox, os.path.join(r, "bin", "busybox"))
        shutil.copy(os.path.join(HERE, "guest", "init-9p" if a.system else "init"), os.path.join(r, "init"))
        os.chmod(os.path.join(r, "init"), 0o755)
        for b in a.bin:
            shutil.copy(b, os.path.join(r, os.path.basename(b)))
        wanted = SYSTEM_MODULES if a.system else WANTED_MODULES
        modules = module_closure(os.path.join(a.kernel_dir, "modules"), wanted) if a.kernel_dir else []
        for i, (name, blob) in enumerate(modules):
            with open(os.path.join(r, "mods", f"{10 + i}_{name}.ko"), "wb") as f:
                f.write(blob)
        cpio(r, a.out)
    # more trees (make bench: bpftrace's root as /bt), each one more archive on top
    for tree in a.tree:
        cpio(tree, a.out + ".tmp", append_to=a.out)
        os.replace(a.out + ".tmp", a.out)


def qemu_cmd(kernel, initrd, disk, append, qmp_path, mem, smp, root=None, functions=2):
    # the system bed's root: virtio-9p on the channel subsystem (-virtfs would make it a PCI function, taking uid 1)
    share = ["-fsdev", f"local,id=fs0,path={root},security_model=passthrough",
             "-device", "virtio-9p-ccw,fsdev=fs0,mount_tag=root"] if root else []
    return ["qemu-system-s390x", "-qmp", f"unix:{qmp_path},server=on,wait=off", "-M", "s390-ccw-virtio", "-cpu", "max", "-smp", str(smp), "-m", str(mem),
            "-nographic", "-no-reboot", "-nic", "none", "-kernel", kernel, "-initrd", initrd,
            "-append", f"console=ttysclp0 panic=-1 loglevel=4 {append}",
            "-drive", f"file={disk},format=raw,if=none,id=d0", "-device", "virtio-blk-ccw,drive=d0", *share,
            # fid 1 sits behind the zPCI IOMMU, so a bad DMA raises a real error event; fid 2 does not
            "-device", "zpci,uid=1,fid=1,target=rng0",
            "-device", "virtio-rng-pci,id=rng0,iommu_platform=on,disable-legacy=on",
            "-device", "zpci,uid=2,fid=2,target=rng1", "-device", "virtio-rng-pci,id=rng1",
            # more functions behind the IOMMU (--functions): one guest VMM each
            *[a for n in range(3, functions + 1)
              for a in ("-device", f"zpci,uid={n},fid={n},target=rng{n - 1}",
                        "-device", f"virtio-rng-pci,id=rng{n - 1},iommu_platform=on,disable-legacy=on")]]


class Qmp:
    """QEMU's monitor protocol over a unix socket: just enough to hot-plug devices"""

    def __init__(self, path):
        for _ in range(100):
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"no QMP socket at {path}")
        self.buf = b""
        self.reply()  # greeting
        self.execute("qmp_capabilities")

    def reply(self):
        while b"\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def execute(self, cmd, **args):
        self.sock.sendall(json.dumps({"execute": cmd, "arguments": args}).encode() + b"\n")
        while True:
            r = self.reply()
            if "return" in r or "error" in r:  # skip asynchronous events
                return r


# QMP plans the guest asks for with a console line "ZT: qmp PLAN"
def plan_hotplug(qmp, log):
    """unplug zPCI function 2, then plug a new function 9: availability events 0x0303, 0x0308, 0x0301"""
    log(f"device_del rng1: {qmp.execute('device_del', id='rng1')}")
    time.sleep(2)
    log(f"device_add zpci fid 9: {qmp.execute('device_add', driver='zpci', id='z9', uid=9, fid=9, target='rng9')}")
    log(f"device_add rng9: {qmp.execute('device_add', driver='virtio-rng-pci', id='rng9')}")


QMP_PLANS = {"hotplug": plan_hotplug}


def live_line(line):
    """what make demo shows of a console line"""
    if line.startswith("TRACE: "):
        return "  zpcitrace | " + line[7:]
    if line.startswith("VMM: "):
        return "  guest VMM | " + line[5:]
    if line.startswith("ZT: "):
        return "  bed       | " + line[4:]
    if re.match(r"\[\s*\d+\.\d+\]", line):
        return "  kernel    | " + line
    return None


def cmd_run(a):
    os.makedirs(a.out, exist_ok=True)
    disk = os.path.join(a.out, "out.img")
    with open(disk, "wb") as f:
        f.truncate(64 << 20)
    initrd = os.path.join(a.out, "initrd.cpio.gz")
    with tempfile.TemporaryDirectory() as r:
        with open(os.path.join(r, "scenario.conf"), "w") as f:
            for kv in a.conf:
                f.write(kv + "\n")
        cpio(r, initrd, append_to=a.initrd)
    kernel = os.path.join(a.kernel_dir, "vmlinuz") if a.kernel_dir else a.kernel
    qmp_path = os.path.join(tempfile.mkdtemp(prefix="zt-qmp-"), "qmp.sock")
    cmd = qemu_cmd(kernel, initrd, disk, a.append, qmp_path, a.mem, a.smp, a.root, a.functions)
    t0 = time.time()
    log = open(os.path.join(a.out, "console.log"), "w")
    log.write("[host] " + " ".join(cmd) + "\n")
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline, pending, timed_out = t0 + a.timeout, b"", False

    def host_log(msg):
        log.write(f"\n[host {time.time() - t0:.2f}s] {msg}\n")

    while True:
        r, _, _ = select.select([p.stdout], [], [], 0.2)
        if r:
            d = os.read(p.stdout.fileno(), 65536)
            if not d:
                break
            log.write(d.decode(errors="replace"))
            log.flush()
            pending += d
            *lines, pending = pending.split(b"\n")
            for l in lines:
                line = l.decode(errors="replace").rstrip("\r")
                m = re.match(r"ZT: qmp (\w+)", line)
                if m:
                    QMP_PLANS[m.group(1)](Qmp(qmp_path), host_log)
                shown = live_line(line) if a.live else None
                if shown is not None:
                    print(shown, flush=True)
        if p.poll() is not None:
            break
        if time.time() > deadline:
            timed_out = True
            p.kill()
            break
    rc = p.wait()
    shutil.rmtree(os.path.dirname(qmp_path), ignore_errors=True)
    wall = time.time() - t0
    log.write(f"\n[host] qemu rc={rc} wall={wall:.1f}s{' TIMEOUT' if timed_out else ''}\n")
    log.close()
    outdir = os.path.join(a.out, "out")
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    try:
        with tarfile.open(disk) as t:
            t.extractall(outdir)
    except tarfile.TarError:
        pass  # the guest never wrote its results; the caller sees the missing files
    os.unlink(disk)
    with open(os.path.join(a.out, "wall.txt"), "w") as f:
        f.write(f"{wall:.2f}\n")
    if timed_out:
        sys.exit(f"bed: guest timed out after {a.timeout}s (log: {a.out}/console.log)")
    if rc:
        sys.exit(f"bed: qemu exited with {rc} (log: {a.out}/console.log)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("initrd")
    i.add_argument("--kernel-dir", help="kernel whose modules to pack; none for a kernel with all built in")
    i.add_argument("--busybox", required=True)
    i.add_argument("--bin", action="append", default=[])
    i.add_argument("--tree", action="append", default=[], help="a directory whose contents join the guest's /")
    i.add_argument("--out", required=True)
    i.add_argument("--system", action="store_true", help="the system bed's initramfs: mount the 9p root, start its init")
    r = sub.add_parser("run")
    r.add_argument("--kernel-dir")
    r.add_argument("--kernel", help="a vmlinuz outside a kernel dir")
    r.add_argument("--initrd", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--conf", action="append", default=[], help="KEY=VALUE for /scenario.conf")
    r.add_argument("--append", default="", help="extra kernel command line")
    r.add_argument("--live", action="store_true")
    r.add_argument("--timeout", type=float, default=300)
    r.add_argument("--mem", type=int, default=1024, help="guest memory in MiB")
    r.add_argument("--smp", type=int, default=1, help="guest CPUs")
    r.add_argument("--functions", type=int, default=2,
                   help="zPCI functions: fid 1 (behind the IOMMU) and 2, then 3, ... behind the IOMMU")
    r.add_argument("--root", help="a directory the guest mounts as its root over virtio-9p (the system bed)")
    a = ap.parse_args()
    {"initrd": cmd_initrd, "run": cmd_run}[a.cmd](a)


if __name__ == "__main__":
    main()
