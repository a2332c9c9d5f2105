"""The network probe `gaia-ec2 matrix` runs on the fleet's hosts (python3, standard library).

It is sent over ssh as the program text (`ssh host python3 - serve ...`), so nothing needs
installing on the hosts.
  serve   --port P --timeout-s T: accepts connections; an empty one is an RTT probe; the
          first that sends data is the bulk transfer: counts its bytes until EOF, answers
          "<bytes> <seconds>\\n" and exits.
  measure --host H --port P --seconds S --rtt-samples N: N TCP connects (RTT: the median
          connect time, one round trip), then S seconds of bulk sending; prints one JSON
          line {"rtt_ms", "bandwidth_mbps", "bytes", "seconds"} with the receiver's count.
"""

import argparse
import json
import socket
import statistics
import sys
import time

CHUNK = 1 << 16


def serve(port, timeout_s):
    listener = socket.create_server(("", port), reuse_port=False)
    listener.settimeout(timeout_s)
    print("ready", flush=True)
    while True:
        conn, _ = listener.accept()
        conn.settimeout(timeout_s)
        with conn:
            first = conn.recv(CHUNK)
            if not first:
                continue  # an RTT probe
            received, start = len(first), time.monotonic()
            while True:
                data = conn.recv(CHUNK)
                if not data:
                    break
                received += len(data)
            seconds = time.monotonic() - start
            conn.sendall(f"{received} {seconds:.6f}\n".encode())
            return


def connect(host, port, timeout_s):
    deadline = time.monotonic() + timeout_s
    while True:  # the server may not listen yet
        try:
            return socket.create_connection((host, port), timeout=timeout_s)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def measure(host, port, seconds, rtt_samples, timeout_s):
    connect(host, port, timeout_s).close()  # waits for the server; not a sample
    rtts = []
    for _ in range(rtt_samples):
        start = time.monotonic()
        sock = socket.create_connection((host, port), timeout=timeout_s)
        rtts.append((time.monotonic() - start) * 1000)
        sock.close()
    payload = b"\0" * CHUNK
    with socket.create_connection((host, port), timeout=timeout_s) as sock:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while not answer.endswith(b"\n"):
            data = sock.recv(64)
            if not data:
                raise OSError("the receiver closed without a count")
            answer += data
    received, took = answer.decode().split()
    received, took = int(received), float(took)
    return {"rtt_ms": statistics.median(rtts),
            "bandwidth_mbps": received * 8 / max(took, 1e-6) / 1e6,
            "bytes": received, "seconds": took}


def main(argv):
    parser = argparse.ArgumentParser(prog="probe")
    sub = parser.add_subparsers(dest="command", required=True)
    srv = sub.add_parser("serve")
    srv.add_argument("--port", type=int, required=True)
    srv.add_argument("--timeout-s", type=float, default=60)
    msr = sub.add_parser("measure")
    msr.add_argument("--host", required=True)
    msr.add_argument("--port", type=int, required=True)
    msr.add_argument("--seconds", type=float, default=3)
    msr.add_argument("--rtt-samples", type=int, default=5)
    msr.add_argument("--timeout-s", type=float, default=30)
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.port, args.timeout_s)
    else:
        print(json.dumps(measure(args.host, args.port, args.seconds, args.rtt_samples,
                                 args.timeout_s)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
