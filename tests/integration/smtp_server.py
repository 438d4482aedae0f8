#!/usr/bin/python3
"""A real SMTP server on loopback for the tests (Debian's python3-aiosmtpd).

Listens on 127.0.0.1 on a port the system picks, writes that port to --port-file (temp file,
then rename) and prints it. Each accepted message is saved as DIR/NNNN.eml with its envelope in
DIR/NNNN.json; DIR/events.log gets one line per connection, AUTH, refusal and acceptance, so a
test can count connections and attempts.

  --dir DIR               where messages and events.log go (required)
  --port-file PATH        the chosen port is written here
  --auth USER:PASSWORD    require AUTH (PLAIN or LOGIN) with these credentials
  --tempfail N            answer 451 to the end of DATA for the first N messages
  --vanish N              keep the first N messages, then drop the connection without answering
                          (the client cannot know whether the message was taken)
  --reject ADDRESS        answer 550 to RCPT TO for this address (repeatable)
  --tls-cert/--tls-key    PEM files; with --tls starttls (required before MAIL) or implicit
Runs until SIGTERM or SIGINT.
"""
import argparse
import asyncio
import json
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    def __init__(self, folder, tempfail, rejected, vanish=0):
        self.folder = folder
        self.tempfail = tempfail
        self.vanish = vanish
        self.rejected = {address.lower() for address in rejected}
        self.count = 0
        self.lock = threading.Lock()

    def event(self, line):
        with self.lock, open(os.path.join(self.folder, "events.log"), "a", encoding="utf-8") as log:
            log.write(line + "\n")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.rejected:
            self.event("rcpt-rejected " + address)
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown in local recipient table" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.tempfail > 0:
            self.tempfail -= 1
            self.event("data-tempfail " + ",".join(envelope.rcpt_tos))
            return "451 4.3.0 Temporary local problem, please try again"
        with self.lock:
            self.count += 1
            number = self.count
        base = os.path.join(self.folder, "%04d" % number)
        for suffix, content in ((".json", json.dumps({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                                                       "tls": server.transport.get_extra_info("sslcontext") is not None}).encode()),
                                (".eml", envelope.original_content)):
            with open(base + suffix + ".part", "wb") as out:
                out.write(content)
            os.replace(base + suffix + ".part", base + suffix)
        self.event("accepted %04d %s" % (number, ",".join(envelope.rcpt_tos)))
        if self.vanish > 0:
            self.vanish -= 1
            self.event("vanished %04d" % number)
            server.transport.abort()
        return "250 2.0.0 Ok: queued as %04d" % number


class RecordingSMTP(SMTP):
    def __init__(self, handler, **kwargs):
        super().__init__(handler, **kwargs)
        self.recorder = handler

    def connection_made(self, transport):
        if self.transport is None:
            self.recorder.event("connect")
        super().connection_made(transport)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port-file")
    parser.add_argument("--auth")
    parser.add_argument("--tempfail", type=int, default=0)
    parser.add_argument("--vanish", type=int, default=0)
    parser.add_argument("--reject", action="append", default=[])
    parser.add_argument("--tls", choices=["none", "starttls", "implicit"], default="none")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    recorder = Recorder(args.dir, args.tempfail, args.reject, args.vanish)

    context = None
    if args.tls != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and args.auth is not None and
              auth_data.login.decode() + ":" + auth_data.password.decode() == args.auth)
        recorder.event("auth %s %s" % (mechanism, "ok" if ok else "refused"))
        # handled=False: aiosmtpd then answers the refusal itself (535); with the default it stays silent.
        return AuthResult(success=ok, handled=False)

    def factory():
        options = dict(hostname="smtp.test", decode_data=False, ident="test SMTP")
        if args.auth:
            options.update(authenticator=authenticator, auth_required=True, auth_require_tls=False)
        if args.tls == "starttls":
            options.update(tls_context=context, require_starttls=True)
        return RecordingSMTP(recorder, **options)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        factory, "127.0.0.1", 0, ssl=context if args.tls == "implicit" else None))
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        with open(args.port_file + ".part", "w") as out:
            out.write(str(port))
        os.replace(args.port_file + ".part", args.port_file)
    print("smtp_server listening on 127.0.0.1:%d" % port, flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    loop.run_until_complete(stop.wait())
    server.close()
    loop.run_until_complete(server.wait_closed())
    return 0


if __name__ == "__main__":
    sys.exit(main())
