"""The four-letter words clients and tools rely on (kazoo reads `envi` for the version)."""

import socket

from servers import HOST, four_letter


def _srvr_lines(port, keys=("Zxid:", "Mode:", "Node count:")):
    return [line for line in four_letter(port, "srvr").splitlines() if line.startswith(keys)]


def _raw_word(port, word):
    """Sends bytes that are not a known word; returns what came back before the close."""
    with socket.create_connection((HOST, port), timeout=3) as s:
        s.sendall(word)
        out = bytearray()
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    return bytes(out)
                out += chunk
        except socket.timeout:
            return ("no close within 3 s", bytes(out))


def test_four_letter_words_ruok_isro_srvr_envi(zk):
    def scenario(s):
        port = s.server.port
        s.record("ruok", four_letter(port, "ruok"))
        s.record("isro", four_letter(port, "isro"))
        s.record("srvr on an empty server", _srvr_lines(port))
        a = s.kazoo("A")
        a.create("/a/b/c", makepath=True)
        s.record("srvr after writes", _srvr_lines(port))
        s.step("kazoo server_version (parses envi)", a.server_version)
        envi = four_letter(port, "envi").splitlines()
        s.record("envi starts with", envi[:1])
        s.record("envi names the version", [line.split("-")[0] for line in envi
                                            if line.startswith("zookeeper.version=")])
        s.record("unknown word", _raw_word(port, b"xyzw"))
    zk.compare(scenario)
