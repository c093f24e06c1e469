package dev.cmcp.verify.evidence.tdx;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;

/**
 * What Intel's Provisioning Certification Service needs to serve the collateral of one TDX
 * quote: the platform's FMSPC (which TCB info applies) and which PCK CA issued its PCK
 * certificate (which PCK CRL applies), both read from the PCK certificate the quote carries.
 * Nothing here is trusted: it only chooses what to ask for, and the verifier checks the quote's
 * chain and everything fetched as it checks laid-out files.
 *
 * @param fmspc the FMSPC, 12 lower-case hex digits
 * @param pckCa {@code processor} or {@code platform}, as the PCS's {@code ca} parameter spells it
 */
public record PcsIdentity(String fmspc, String pckCa) {

  /**
   * Reads the PCK certificate from the quote's certification data.
   *
   * @throws IllegalArgumentException naming what is wrong when the quote or its PCK certificate cannot be read
   */
  public static PcsIdentity of(byte[] quote) {
    try {
      List<X509Certificate> chain = TdxVerifier.parseChain(TdxQuote.parse(quote).pckChainPem());
      if (chain.isEmpty()) {
        throw new IllegalArgumentException("the quote carries no PCK certificate");
      }
      X509Certificate pck = chain.get(0);
      String issuer = pck.getIssuerX500Principal().getName().toLowerCase(Locale.ROOT);
      String ca;
      if (issuer.contains("pck platform ca")) {
        ca = "platform";
      } else if (issuer.contains("pck processor ca")) {
        ca = "processor";
      } else {
        throw new IllegalArgumentException("the PCK certificate's issuer (" + pck.getIssuerX500Principal().getName()
            + ") is neither Intel's PCK Platform CA nor its PCK Processor CA");
      }
      return new PcsIdentity(PckExtensions.of(pck).fmspc().toLowerCase(Locale.ROOT), ca);
    } catch (TdxException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }
}
