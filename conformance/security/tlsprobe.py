"""TLS handshakes of the suite's own, for what sslyze's scan does not measure.

- Extended Master Secret on TLS 1.2: sslyze's EMS command answers "supported" for every
  server whose highest version is TLS 1.3 without making a TLS 1.2 handshake at all, so on a
  server that offers TLS 1.2 and 1.3 its result is no observation.
- Client-initiated renegotiation beyond ten: sslyze stops after ten renegotiations, while the
  NCSC guidelines (2025-05, 3.4.2) call at most ten "limited" (sufficient) and more
  "unlimited" (phase-out); eleven attempts tell them apart.

Each function returns (value, log lines, error or None) and never raises: the caller records
it as a ``tls-probe`` exchange. The handshakes use nassl (sslyze's own OpenSSL binding) and do
not verify the certificate (the certificate rows judge it).
"""

from __future__ import annotations

import socket
from typing import Any

NCSC_MAX_RENEGOTIATIONS = 10  # 2025-05, 3.4.2: more than this is "unlimited"


def _connect(host: str, port: int, timeout: float) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def _tls12(client_cls: Any, host: str, port: int, sni: str, timeout: float, log: list[str],
           after: Any) -> tuple[Any, list[str], str | None]:
    """Connect, make a TLS 1.2 handshake with ``client_cls`` (a nassl client), then
    ``after(client)`` -> (value, error); always shuts the connection down. A failure to
    connect or to shake hands gives value None with the reason."""
    from nassl.ssl_client import OpenSslVerifyEnum, OpenSslVersionEnum
    try:
        sock = _connect(host, port, timeout)
    except OSError as exc:
        return None, log, f"connection failed: {exc}"
    client = client_cls(ssl_version=OpenSslVersionEnum.TLSV1_2, underlying_socket=sock,
                        ssl_verify=OpenSslVerifyEnum.NONE)
    try:
        client.set_tlsext_host_name(sni)
        client.do_handshake()
        log.append(f"handshake done: {client.get_current_cipher_name()}")
        value, error = after(client)
        return value, log, error
    except Exception as exc:  # noqa: BLE001 - nassl raises its own and OSError kinds
        log.append(f"handshake failed: {type(exc).__name__}: {exc}")
        return None, log, f"no TLS 1.2 handshake: {exc}"
    finally:
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            pass
        sock.close()


def ems_tls12(host: str, port: int, sni: str, timeout: float) -> tuple[Any, list[str], str | None]:
    """Does a TLS 1.2 handshake negotiate the Extended Master Secret (RFC 7627)?
    value: True / False, or None when no TLS 1.2 handshake could be made."""
    from nassl.ssl_client import ExtendedMasterSecretSupportEnum, SslClient
    log: list[str] = [f"connect {host}:{port}, TLS 1.2 only, SNI {sni}"]

    def ems(client: Any) -> tuple[bool | None, str | None]:
        used = client.get_extended_master_secret_support()
        log.append(f"extended master secret: {used.name}")
        if used == ExtendedMasterSecretSupportEnum.UNKNOWN:
            return None, "the TLS library could not tell whether EMS was used"
        return used == ExtendedMasterSecretSupportEnum.USED_IN_CURRENT_SESSION, None

    return _tls12(SslClient, host, port, sni, timeout, log, ems)


def client_renegotiations(host: str, port: int, sni: str,
                          timeout: float) -> tuple[Any, list[str], str | None]:
    """How many client-initiated renegotiations (TLS 1.2) the server honours, up to eleven.
    value: the count (0..11), or None when no TLS 1.2 handshake could be made."""
    from nassl.legacy_ssl_client import LegacySslClient
    attempts = NCSC_MAX_RENEGOTIATIONS + 1
    log: list[str] = [f"connect {host}:{port}, TLS 1.2, SNI {sni}; {attempts} renegotiations"]

    def renegotiate(client: Any) -> tuple[int, None]:
        count = 0
        for _ in range(attempts):
            try:
                client.do_renegotiate()
            except Exception as exc:  # noqa: BLE001 - any refusal ends the series
                log.append(f"renegotiation {count + 1} refused: {type(exc).__name__}: {exc}")
                break
            count += 1
        log.append(f"{count} renegotiation(s) honoured")
        return count, None

    return _tls12(LegacySslClient, host, port, sni, timeout, log, renegotiate)
