package dev.cmcp.verify.evidence.snp;

/**
 * Why a piece of SEV-SNP evidence, or a certificate offered for it, cannot be used: evidence
 * not laid out as AMD specifies, a missing or malformed certificate extension, a certificate
 * that does not chain. It becomes the reason of a failed check and never leaves this package.
 */
final class SnpProblem extends Exception {
  private static final long serialVersionUID = 1L;

  SnpProblem(String message) {
    super(message);
  }
}
