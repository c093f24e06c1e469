/**
 * TPM 2.0 evidence for the gateway: {@link dev.cmcp.gateway.attest.tpm.TpmAttester} creates an
 * attestation key at start and quotes a {@link dev.cmcp.gateway.attest.tpm.PcrSelection} over
 * SHA-256 of the claim's binding, on {@code /dev/tpmrm0} or on swtpm
 * ({@link dev.cmcp.gateway.attest.tpm.TpmTarget}). Every failure is an
 * {@link dev.cmcp.gateway.attest.AttestationException} whose message starts with {@code tpm:}
 * and says what to fix.
 *
 * <p>Decisions a reviewer should know:
 *
 * <ul>
 *   <li>The TPM is driven through Debian's tpm2-tools (5.x, on the tpm2-tss stack), one process
 *       per command, not through a Java TSS. The Java candidate, TSS.Java
 *       ({@code com.github.microsoft:TSS.Java}), has had two releases on Maven Central, the last
 *       (0.3.0) in April 2018; it is an 870 KB jar that pulls BouncyCastle 1.57 (2017, with
 *       published CVEs fixed since) and JNA 4.4. tpm2-tools is the maintained Linux reference
 *       stack: it talks to {@code /dev/tpmrm0} and swtpm through its TCTI layer and handles what
 *       real TPMs do (retries, resource manager, sessions). The command layer here is small:
 *       a handful of tools, fixed arguments, files in a private temporary folder, a timeout, and the
 *       tools' ERROR lines in our messages.
 *   <li>What the tools produce is checked by {@code dev.cmcp.verify.evidence.tpm.TpmVerifier},
 *       hand-written and sharing no code with tpm2-tools, before a quote is handed out: the
 *       producer and the verifier are two implementations that test each other.
 *   <li>The AK is ECC NIST P-256 with ECDSA SHA-256, made by {@code tpm2_createak} under the
 *       TCG default ECC EK: every PC Client TPM has it, the TPM makes it in milliseconds (RSA
 *       2048 can take seconds on hardware).
 *   <li>{@link dev.cmcp.gateway.attest.tpm.TpmEnrollment} ({@code cmcp tpm enroll}) certifies an
 *       AK once: the RSA 2048 EK certificate from NV index 0x01c00002 checked against the
 *       manufacturer roots, an AK made under the TCG default RSA EK (whose key is the one that
 *       certificate names), credential activation with the credential made in Java
 *       ({@code TpmCredential}) so that tpm2_makecredential is not trusted, the AK kept at a
 *       persistent handle (a transient AK would change at every start and void its certificate),
 *       and an AK certificate issued with BouncyCastle by the auditor's enrollment CA. The
 *       gateway then quotes with that handle, after checking its Name against the certificate.
 *   <li>swtpm (and {@code /dev/tpm0}) has no resource manager, so after each command the attester
 *       flushes all transient objects and loaded sessions: such a TPM must serve one gateway only.
 *   <li>A quote that fails with the saved AK context (a TPM reset invalidates it) is retried once
 *       with a new AK (never an enrolled one: it is persistent, and no other key may stand in for
 *       it); a quote whose PCR digest does not match the PCR values read (a PCR was
 *       extended in between) is retried up to three times.
 * </ul>
 */
package dev.cmcp.gateway.attest.tpm;
