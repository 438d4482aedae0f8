/* For the Wine proof (wine-proof.sh): adds the certificate of a PEM file to the machine's
 * trusted roots (LocalMachine\Root), as an administrator would with certlm.msc.
 *   add-root.exe CA.pem */
#include <windows.h>
#include <wincrypt.h>
#include <stdio.h>

int main(int argc, char** argv)
{
    static char pem[65536];
    BYTE der[16384];
    DWORD size = sizeof der;
    FILE* in;
    size_t length;
    HCERTSTORE root;
    if (argc != 2 || !(in = fopen(argv[1], "rb")))
        return fprintf(stderr, "usage: add-root CA.pem\n"), 2;
    length = fread(pem, 1, sizeof pem - 1, in);
    fclose(in);
    if (!CryptStringToBinaryA(pem, (DWORD)length, CRYPT_STRING_BASE64HEADER, der, &size, NULL, NULL))
        return fprintf(stderr, "not a PEM certificate: %lu\n", GetLastError()), 1;
    root = CertOpenStore(CERT_STORE_PROV_SYSTEM_A, 0, 0, CERT_SYSTEM_STORE_LOCAL_MACHINE, "Root");
    if (!root)
        return fprintf(stderr, "cannot open LocalMachine\\Root: %lu\n", GetLastError()), 1;
    if (!CertAddEncodedCertificateToStore(root, X509_ASN_ENCODING, der, size, CERT_STORE_ADD_REPLACE_EXISTING, NULL))
        return fprintf(stderr, "cannot add the certificate: %lu\n", GetLastError()), 1;
    CertCloseStore(root, 0);
    printf("added to LocalMachine\\Root\n");
    return 0;
}
