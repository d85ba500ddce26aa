"""A certification authority and a seal certificate of the tests' own, and the two tools that check
a sealed PDF the way its reader's software would: pyHanko, and poppler's pdfsig with an NSS
database that trusts the tests' authority."""
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass
class SealFiles:
    p12: str  # the seal's key and certificate (with the authority's), as CERTIFICATE_SEAL_FILE
    password: str
    authority_pem: str  # the authority's certificate, which the checks trust
    authority: x509.Certificate


def _name(common, organisation="Sdružení měst a obcí Plzeňského kraje"):
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CZ"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_seal(folder, common="Sdružení měst a obcí Plzeňského kraje – pečeť", password="heslo pečeti",
              valid_days=365):
    """A test authority, and a seal certificate it issued, in ``folder``."""
    now = datetime.now(UTC)
    authority_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    authority_name = _name("Testovací certifikační autorita", "Testy SMOPK")
    authority = (x509.CertificateBuilder().subject_name(authority_name).issuer_name(authority_name)
                 .public_key(authority_key.public_key()).serial_number(x509.random_serial_number())
                 .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
                 .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                 .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                              key_encipherment=False, data_encipherment=False, key_agreement=False,
                                              key_cert_sign=True, crl_sign=True, encipher_only=False,
                                              decipher_only=False), critical=True)
                 .add_extension(x509.SubjectKeyIdentifier.from_public_key(authority_key.public_key()), critical=False)
                 .sign(authority_key, hashes.SHA256()))
    seal_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    seal = (x509.CertificateBuilder().subject_name(_name(common)).issuer_name(authority_name)
            .public_key(seal_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=valid_days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(authority_key.public_key()),
                           critical=False)
            .sign(authority_key, hashes.SHA256()))
    p12 = os.path.join(folder, "pecet.p12")
    with open(p12, "wb") as out:
        out.write(pkcs12.serialize_key_and_certificates(
            b"pecet", seal_key, seal, [authority], serialization.BestAvailableEncryption(password.encode())))
    authority_pem = os.path.join(folder, "autorita.pem")
    with open(authority_pem, "wb") as out:
        out.write(authority.public_bytes(serialization.Encoding.PEM))
    return SealFiles(p12, password, authority_pem, authority)


def pyhanko_verdict(data: bytes, seal: SealFiles) -> dict:
    """The seal as pyHanko validates it against the test authority."""
    import io

    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(data))
    [signature] = reader.embedded_signatures
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[load_cert_from_pemder(
        seal.authority_pem)]))
    return {"bottom_line": status.bottom_line, "intact": status.intact, "valid": status.valid,
            "trusted": status.trusted, "coverage": status.coverage.name,
            "modification_level": status.modification_level.name if status.modification_level else None,
            "docmdp_ok": status.docmdp_ok, "signer": status.signing_cert.subject.human_friendly,
            "subfilter": signature.sig_object["/SubFilter"]}


def pdfsig_report(data: bytes, seal: SealFiles) -> str:
    """poppler's pdfsig on ``data``, with an NSS database that trusts the test authority."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["certutil", "-N", "-d", f"sql:{folder}", "--empty-password"], check=True,
                       capture_output=True)
        subprocess.run(["certutil", "-A", "-d", f"sql:{folder}", "-n", "test-ca", "-t", "C,C,C", "-i",
                        seal.authority_pem], check=True, capture_output=True)
        path = os.path.join(folder, "osvedceni.pdf")
        with open(path, "wb") as out:
            out.write(data)
        done = subprocess.run(["pdfsig", "-nssdir", f"sql:{folder}", path], capture_output=True, text=True)
        return done.stdout + done.stderr


def tools_present() -> bool:
    return all(shutil.which(tool) for tool in ("pdfsig", "certutil"))
