"""Floods of large request bodies against a running tidelogd, for the memory
bound tests (test_floods.py) and for measuring by hand:

    python3 tests/e2e/floods.py --port 4567 unsigned --connections 256
    python3 tests/e2e/floods.py --port 4567 signed --connections 64 --stream s \\
        --access-key AKID --secret-key SECRET

Each connection sends its whole request at once (a hostile client does not
wait for an answer), then reads one response. Prints the statuses seen and
the broker's peak RSS when --pid is given."""

import argparse
import base64
import json
import socket
import threading

import botocore.auth
import botocore.awsrequest
import botocore.credentials

BODY_BYTES = 7_000_000


def peak_rss_bytes(pid):
    """VmHWM of a process: the most resident memory it has had."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM for pid %d" % pid)


def unsigned_request(host, port, body_bytes=BODY_BYTES):
    """A PutRecords with a body of `body_bytes` and no signature."""
    head = ("POST / HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/x-amz-json-1.1\r\n"
            "X-Amz-Target: Kinesis_20131202.PutRecords\r\nContent-Length: %d\r\n\r\n"
            % (host, port, body_bytes)).encode()
    return head, b"x" * body_bytes


def signed_put_records(host, port, stream, access_key, secret_key, region="us-east-1",
                       records=500, data_bytes=10_000):
    """A correctly signed PutRecords of `records` x `data_bytes` (about 7 MB
    of JSON for the defaults: 5 MB of data, within the 5 MiB call limit).
    Replaying it on many connections is valid within the signature's clock
    window."""
    data = base64.b64encode(b"d" * data_bytes).decode()
    body = json.dumps({"StreamName": stream, "Records": [
        {"Data": data, "PartitionKey": "key-%d" % i} for i in range(records)]}).encode()
    url = "http://%s:%d/" % (host, port)
    request = botocore.awsrequest.AWSRequest(
        method="POST", url=url, data=body,
        headers={"Content-Type": "application/x-amz-json-1.1",
                 "X-Amz-Target": "Kinesis_20131202.PutRecords"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(access_key, secret_key), "kinesis",
                            region).add_auth(request)
    lines = ["POST / HTTP/1.1", "Host: %s:%d" % (host, port), "Content-Length: %d" % len(body)]
    lines += ["%s: %s" % (k, v) for k, v in request.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode(), body


def read_response(sock):
    """(status, body bytes) of one Content-Length framed response, or None."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode(errors="replace").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        rest += chunk
    return status, rest[:length]


def flood(host, port, head, body, connections, timeout_s=120):
    """Sends head+body on `connections` connections at once; returns the
    responses read (status, body), None for a connection that got none."""
    results = [None] * connections
    start = threading.Barrier(connections)

    def one(i):
        try:
            with socket.create_connection((host, port), timeout=timeout_s) as s:
                start.wait(timeout=timeout_s)
                try:
                    s.sendall(head)
                    s.sendall(body)
                except OSError:
                    pass  # the broker may close once it has answered
                results[i] = read_response(s)
        except (OSError, threading.BrokenBarrierError):
            results[i] = None

    threads = [threading.Thread(target=one, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout_s + 10)
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int)
    parser.add_argument("kind", choices=["unsigned", "signed"])
    parser.add_argument("--connections", type=int, default=96)
    parser.add_argument("--stream", default="flood")
    parser.add_argument("--access-key", default="AKID")
    parser.add_argument("--secret-key", default="SECRET")
    args = parser.parse_args()
    if args.kind == "unsigned":
        head, body = unsigned_request(args.host, args.port)
    else:
        head, body = signed_put_records(args.host, args.port, args.stream, args.access_key,
                                        args.secret_key)
    before = peak_rss_bytes(args.pid) if args.pid else None
    results = flood(args.host, args.port, head, body, args.connections)
    statuses = {}
    for r in results:
        key = r[0] if r else "none"
        statuses[key] = statuses.get(key, 0) + 1
    print("statuses:", statuses)
    if args.pid:
        print("peak RSS before %.1f MiB, after %.1f MiB"
              % (before / 2**20, peak_rss_bytes(args.pid) / 2**20))


if __name__ == "__main__":
    main()
