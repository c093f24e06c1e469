package dev.cmcp.verify.audit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Digests;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * What an audit log entry is on disk and what its hash is.
 *
 * <p>The stored line is the RFC 8785 canonical JSON of the entry followed by {@code \n}, and the
 * entry hash is SHA-256 over exactly those canonical bytes (without the newline). No hash is
 * stored inside the entry: a reader recomputes it, so the writer and every verifier share one
 * definition.
 */
public final class AuditEntry {

  /** The {@code prev} of a genesis entry when there is no previous epoch; also the tip of an empty chain. */
  public static final String NO_PREDECESSOR = "0".repeat(64);

  private AuditEntry() {}

  /** SHA-256 of the canonical JSON of {@code entry}: 32 bytes. */
  public static byte[] entryHash(JsonNode entry) {
    return Digests.sha256(CanonicalJson.bytes(entry));
  }

  /** {@link #entryHash} in lower-case hex, as {@code prev}, {@code tip} and claims carry it. */
  public static String entryHashHex(JsonNode entry) {
    return HexFormat.of().formatHex(entryHash(entry));
  }

  /** The bytes to append to the log for {@code entry}: its canonical JSON and a newline. */
  public static byte[] line(JsonNode entry) {
    byte[] canonical = CanonicalJson.bytes(entry);
    byte[] line = Arrays.copyOf(canonical, canonical.length + 1);
    line[canonical.length] = '\n';
    return line;
  }
}
