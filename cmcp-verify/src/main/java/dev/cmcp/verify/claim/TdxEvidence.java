package dev.cmcp.verify.claim;

import dev.cmcp.verify.base.Base64Url;
import dev.cmcp.verify.base.JsonFields;
import java.util.Set;

/**
 * Intel TDX evidence ({@code platform: tdx}): the quote, which carries its PCK certificate chain.
 *
 * <p>The evidence is base64url of the canonical JSON
 * {@code {"format":"cmcp-tdx-evidence-v1","quote":<base64url quote>}}.
 */
public record TdxEvidence(byte[] quote) implements PlatformEvidence {

  public static final String FORMAT = "cmcp-tdx-evidence-v1";

  private static final Set<String> FIELDS = Set.of("format", "quote");

  public TdxEvidence {
    if (quote.length == 0) {
      throw new IllegalArgumentException("a TDX quote is not empty");
    }
    quote = quote.clone();
  }

  @Override
  public byte[] quote() {
    return quote.clone();
  }

  /** Decodes {@code trace.runtime.evidence} of a TDX claim. */
  public static TdxEvidence decode(String evidence) throws ClaimException {
    JsonFields<ClaimException> fields = EvidenceDocument.exactly(EvidenceDocument.decode(evidence, Platform.TDX, FORMAT), FIELDS);
    byte[] quote = Base64Url.decode(fields.text("quote"), ClaimException.at(fields.path("quote")));
    if (quote.length == 0) {
      throw new ClaimException(fields.path("quote") + ": empty");
    }
    return new TdxEvidence(quote);
  }
}
