#!/usr/bin/env python3
"""A small SMTP server with STARTTLS for the Wine proof (wine-proof.sh):

    smtp-tls-server.py CERT KEY PORT_FILE MAIL_DIR

Listens on 127.0.0.1 (a free port, written to PORT_FILE), offers STARTTLS with CERT/KEY,
refuses MAIL before TLS, and writes each accepted message to MAIL_DIR/N.eml. No AUTH."""
import os
import socket
import ssl
import sys
import threading

cert, key, port_file, mail_dir = sys.argv[1:5]
os.makedirs(mail_dir, exist_ok=True)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.minimum_version = ssl.TLSVersion.TLSv1_2
context.load_cert_chain(cert, key)
lock = threading.Lock()
count = [0]


def serve(conn):
    tls = False
    reader = conn.makefile("rb")

    def reply(text):
        conn.sendall(text.encode() + b"\r\n")

    try:
        reply("220 localhost ESMTP wine-proof")
        while True:
            line = reader.readline()
            if not line:
                print("closed by the client%s" % ("" if tls else " before TLS"), flush=True)
                return
            verb = line.decode(errors="replace").strip().split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                reply("250-localhost" if not tls else "250-localhost (TLS)")
                reply("250-STARTTLS" if not tls else "250-8BITMIME")
                reply("250 SIZE 10485760")
            elif verb == "STARTTLS" and not tls:
                reply("220 ready to start TLS")
                conn = context.wrap_socket(conn, server_side=True)
                reader = conn.makefile("rb")
                tls = True
                print("TLS established (%s)" % conn.version(), flush=True)
            elif verb in ("MAIL", "RCPT") and not tls:
                reply("530 must issue STARTTLS first")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                reply("250 ok")
            elif verb == "DATA":
                reply("354 end with .")
                data = []
                while True:
                    part = reader.readline()
                    if not part or part in (b".\r\n", b".\n"):
                        break
                    data.append(part[1:] if part.startswith(b"..") else part)
                with lock:
                    count[0] += 1
                    name = os.path.join(mail_dir, "%d.eml" % count[0])
                with open(name, "wb") as out:
                    out.write(b"".join(data))
                reply("250 queued")
            elif verb == "QUIT":
                reply("221 bye")
                return
            else:
                reply("502 not implemented")
    except (OSError, ssl.SSLError) as e:
        print("connection ended: %s" % e, flush=True)
    finally:
        conn.close()


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 0))
server.listen(16)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
