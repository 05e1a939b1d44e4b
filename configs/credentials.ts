// A gateway's share of the lab PKI, as files where swanctl loads them.
import { CREDENTIAL_PATHS } from "./paths";
import type { NodeFile } from "./node-file";

export interface GatewayCredentials {
    readonly rootCaPem: string;
    readonly intermediateCaPem: string;
    readonly certificatePem: string;
    readonly rootCrlPem: string;
    readonly intermediateCrlPem: string;
}

const pemFile = (path: string, pem: string): NodeFile => ({ path, content: pem.endsWith("\n") ? pem : `${pem}\n`, mode: "0644" });

/** Everything public: CA certificates, the gateway's certificate, both CRLs. */
export function renderCredentialFiles(c: GatewayCredentials): NodeFile[] {
    return [
        pemFile(CREDENTIAL_PATHS.rootCa, c.rootCaPem),
        pemFile(CREDENTIAL_PATHS.intermediateCa, c.intermediateCaPem),
        pemFile(CREDENTIAL_PATHS.certificate, c.certificatePem),
        pemFile(CREDENTIAL_PATHS.rootCrl, c.rootCrlPem),
        pemFile(CREDENTIAL_PATHS.intermediateCrl, c.intermediateCrlPem),
    ];
}

/** The gateway's private key; the caller keeps it a Pulumi secret. */
export function renderPrivateKeyFile(privateKeyPem: string): NodeFile {
    return { ...pemFile(CREDENTIAL_PATHS.privateKey, privateKeyPem), mode: "0600" };
}
