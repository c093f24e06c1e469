/**
 * Offline verification of TPM 2.0 quotes: {@link dev.cmcp.verify.evidence.tpm.TpmVerifier}
 * reads a {@link dev.cmcp.verify.evidence.tpm.TpmEvidence} ({@code cmcp-tpm-evidence-v1}) and
 * reports each {@link dev.cmcp.verify.evidence.tpm.TpmCheck} in a
 * {@link dev.cmcp.verify.evidence.EvidenceReport}, handed back with the quote's typed fields in a
 * {@link dev.cmcp.verify.evidence.tpm.TpmVerification}.
 *
 * <p>Decisions a reviewer should know:
 *
 * <ul>
 *   <li>The TPM structures (TPMS_ATTEST, TPMT_SIGNATURE, TPMT_PUBLIC; TPM 2.0 Library, Part 2)
 *       are parsed by hand, big-endian, every read bounds-checked, and must end exactly where
 *       the bytes do. Bad input fails {@code attest_format}; no exception leaves the verifier.
 *   <li>Signatures use JDK crypto only: ECDSA (P-256/384/521), RSASSA-PKCS1-v1_5 and RSASSA-PSS
 *       (salt of the digest size or the largest the key allows, as TPMs differ). SHA-1
 *       signatures are refused; SHA-1 PCR banks are read.
 *   <li>An ECC AK's point must lie on its curve.
 *   <li>Without an enrollment nothing ties the AK to a TPM: a key made in software passes every
 *       other check. {@code ak_trust} passes only for an AK certificate ({@link
 *       dev.cmcp.verify.evidence.tpm.AkCertificate}, issued by {@code cmcp tpm enroll} after
 *       credential activation) that chains to the auditor's enrollment CA and names this AK and
 *       an EK certificate chaining to a manufacturer root ({@link
 *       dev.cmcp.verify.evidence.tpm.TpmTrust.Anchors}); otherwise the best result is
 *       {@code partially_verified}, never {@code verified}.
 * </ul>
 */
package dev.cmcp.verify.evidence.tpm;
