package dev.cmcp.gateway.audit;

import static dev.cmcp.gateway.audit.AuditFixtures.CLOCK;
import static dev.cmcp.gateway.audit.AuditFixtures.genesis;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.mcp.ToolCallPipeline;
import dev.cmcp.verify.audit.AuditFormatException;
import dev.cmcp.verify.audit.AuditLogReplay;
import dev.cmcp.verify.audit.AuditRecord;
import dev.cmcp.verify.claim.ClaimSigner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whatever the gateway writes, the verifier reads back as the same record: random entries of
 * every kind, with names up to the gateway's limits in any Unicode (quotes, backslashes, control
 * characters, characters beyond the BMP), written by {@link AuditLog} and read by
 * {@link AuditLogReplay}. Seeded, so that a failure repeats; the seed is in the message.
 */
class AuditWireFormatPropertyTest {

  private static final long SEED = 0x5eed_c0de_2026L;
  private static final int ENTRIES = 200;
  /** Characters JSON escapes, or that HTML and shells treat specially, and DEL. */
  private static final String ESCAPED = "\"\\/<>&'\u007f";

  private static final ClaimSigner SIGNER = signer();

  @TempDir Path dir;

  private static ClaimSigner signer() {
    try {
      return new ClaimSigner(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void everyEntryTheGatewayWritesIsReadBackIdenticallyByTheVerifier() throws Exception {
    Random random = new Random(SEED);
    AuditRecord.Genesis genesis = genesis(text(random, 64));
    List<AuditRecord> written = new ArrayList<>();
    Path file;
    try (AuditLog log = AuditLog.open(dir, genesis, CLOCK)) {
      file = log.file();
      written.add(genesis);
      for (int i = 0; i < ENTRIES; i++) {
        AuditRecord record = anyRecord(random, written.size());
        append(log, record);
        written.add(record);
      }
    }

    AuditLogReplay.Result replay = AuditLogReplay.replay(file);
    assertThat(replay).as("seed %x", SEED).isInstanceOf(AuditLogReplay.Intact.class);
    AuditLogReplay.Intact intact = (AuditLogReplay.Intact) replay;
    assertThat(intact.length()).isEqualTo(written.size());
    for (int i = 0; i < written.size(); i++) {
      assertThat(intact.record(i)).as("entry %d, seed %x", i, SEED).isEqualTo(written.get(i));
    }
  }

  /** The kinds a start or the log itself writes (recovery, quarantine, retention, a linked genesis, checkpoints) read back too. */
  @Test
  void theKindsAStartWritesReadBackIdentically() throws AuditFormatException {
    Random random = new Random(SEED + 1);
    for (int i = 0; i < 200; i++) {
      List<AuditRecord> records = List.of(
          new AuditRecord.Recovery(text(random, 200), random.nextLong(0, Long.MAX_VALUE),
              List.of(random.nextLong(0, 1L << 40), random.nextLong(0, 1L << 40))),
          new AuditRecord.Quarantine(text(random, 200), text(random, 220), hex(random), text(random, 512)),
          genesis(text(random, 64)).linkedTo(Optional.of(
              new AuditRecord.EpochLink(text(random, 200), random.nextLong(0, 1L << 40), hex(random), hex(random)))),
          new AuditRecord.Retention(text(random, 200), random.nextLong(0, 1L << 40), hex(random), hex(random)),
          new AuditRecord.Checkpoint(random.nextLong(1, 1L << 40), hex(random), hex(random), SIGNER.jwk(),
              SIGNER.signCheckpoint(text(random, 40), 1, hex(random), hex(random))));
      for (AuditRecord record : records) {
        ObjectNode entry = record.toJson();
        entry.put("index", 1).put("time", "2026-11-25T10:00:00.000Z").put("epoch", "e").put("prev", hex(random));
        assertThat(AuditRecord.fromJson(entry)).as("seed %x", SEED + 1).isEqualTo(record);
      }
    }
  }

  private static void append(AuditLog log, AuditRecord record) throws AuditException {
    switch (record) {
      case AuditRecord.Decision decision -> log.appendDecision(decision);
      case AuditRecord.Outcome outcome -> log.appendOutcome(outcome);
      case AuditRecord.AuthRefused refused -> log.appendAuthRefused(refused);
      case AuditRecord.PinMismatch mismatch -> log.appendPinMismatch(mismatch);
      case AuditRecord.OversizedInput oversized -> log.appendOversizedInput(oversized);
      case AuditRecord.BundleReload reload -> log.appendBundleReload(reload);
      case AuditRecord.CatalogReload reload -> log.appendCatalogReload(reload);
      case AuditRecord.CatalogRejected rejected -> log.appendCatalogRejected(rejected);
      case AuditRecord.RelayedRequest relayed -> log.appendRelayedRequest(relayed);
      case AuditRecord.RelayedAnswer answer -> log.appendRelayedAnswer(answer);
      case AuditRecord.Approval approval -> log.appendApproval(approval);
      default -> throw new IllegalArgumentException("the gateway appends no " + record.type() + " while it runs");
    }
  }

  private static AuditRecord anyRecord(Random random, long index) {
    return switch (random.nextInt(11)) {
      case 0 -> new AuditRecord.Decision(text(random, 256), text(random, 256), name(random), pick(random, "allow", "deny", "redact"),
          pick(random, "forwarded", "blocked"), maybe(random, text(random, 40)), texts(random), hex(random),
          "sha256:" + hex(random), pick(random, "enforcing", "advisory", "silent"),
          pick(random, "call_tool", "read_resource", "get_prompt"), maybe(random, text(random, 64)),
          maybe(random, hex(random).substring(0, 32)),
          maybe(random, new AuditRecord.Principal(text(random, 256), pick(random, "none", "shared_token", "agent_token", "oauth"),
              maybe(random, text(random, 256)), maybe(random, hex(random)))),
          maybe(random, pick(random, "accepted", "declined", "cancelled", "timeout", "unavailable")));
      case 1 -> new AuditRecord.Outcome(random.nextLong(0, index), text(random, 256), name(random),
          pick(random, "ok", "tool_error", "upstream_error"), maybe(random, hex(random)),
          maybe(random, new AuditRecord.Redactions(random.nextInt(0, Integer.MAX_VALUE), texts(random), random.nextBoolean())),
          maybe(random, text(random, 64)))
          // An epoch of the run before the log's own (which opens at 10:00:00): the log rotated while the call ran.
          .inEpoch(maybe(random, "20261125T095959Z-" + hex(random).substring(0, 8)));
      case 2 -> new AuditRecord.AuthRefused(text(random, 40), pick(random, "shared_token", "agent_token", "oauth"),
          maybe(random, text(random, 256)), maybe(random, hex(random)), maybe(random, text(random, 64)), random.nextLong(0, 1L << 40));
      case 3 -> new AuditRecord.PinMismatch(name(random), text(random, 128), "sha256:" + hex(random),
          maybe(random, "sha256:" + hex(random)));
      case 4 -> new AuditRecord.OversizedInput(maybe(random, text(random, 256)), pick(random, "tools/call", "resources/read"),
          pick(random, "name", "uri"), random.nextLong(1, 1L << 32), ToolCallPipeline.MAX_URI_BYTES, hex(random),
          maybe(random, text(random, 64)));
      case 5 -> new AuditRecord.BundleReload("sha256:" + hex(random), "sha256:" + hex(random));
      case 6 -> new AuditRecord.CatalogReload("sha256:" + hex(random), "sha256:" + hex(random), "sha256:" + hex(random),
          "sha256:" + hex(random));
      case 7 -> new AuditRecord.CatalogRejected("sha256:" + hex(random), maybe(random, hex(random)), text(random, 2048));
      case 8 -> new AuditRecord.RelayedRequest(text(random, 256), pick(random, "sampling/createMessage", "elicitation/create"),
          text(random, 64), hex(random), maybe(random, text(random, 64)));
      case 9 -> new AuditRecord.RelayedAnswer(text(random, 256), text(random, 64), pick(random, "result", "error", "abandoned"),
          maybe(random, hex(random)));
      default -> new AuditRecord.Approval(text(random, 256), name(random), text(random, 256), hex(random),
          pick(random, "accepted", "declined", "cancelled", "timeout", "unavailable"), maybe(random, hex(random)),
          maybe(random, text(random, 64)));
    };
  }

  /** A tool name, resource target or prompt name of any length the gateway takes. */
  private static String name(Random random) {
    return random.nextBoolean()
        ? text(random, ToolCallPipeline.MAX_NAME_BYTES)
        : "server:" + text(random, ToolCallPipeline.MAX_URI_BYTES);
  }

  /**
   * Up to {@code maxBytes} UTF-8 bytes of well-formed Unicode (what strict JSON input lets in):
   * ASCII with quotes, backslashes and controls, other BMP characters, and pairs beyond it.
   */
  private static String text(Random random, int maxBytes) {
    int target = random.nextInt(10) == 0 ? maxBytes : random.nextInt(0, maxBytes + 1);
    StringBuilder text = new StringBuilder();
    int bytes = 0;
    while (true) {
      int codePoint = switch (random.nextInt(6)) {
        case 0 -> random.nextInt(0x20);
        case 1 -> ESCAPED.charAt(random.nextInt(ESCAPED.length()));
        case 2, 3 -> random.nextInt(0x20, 0x7f);
        case 4 -> {
          int c = random.nextInt(0x80, 0x10000);
          yield Character.isSurrogate((char) c) ? 0xe9 : c;
        }
        default -> random.nextInt(0x10000, 0x110000);
      };
      int size = new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8).length;
      if (bytes + size > target) {
        return text.toString();
      }
      text.appendCodePoint(codePoint);
      bytes += size;
    }
  }

  private static List<String> texts(Random random) {
    List<String> texts = new ArrayList<>();
    for (int i = random.nextInt(4); i > 0; i--) {
      texts.add(text(random, 128));
    }
    return texts;
  }

  private static String hex(Random random) {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  private static String pick(Random random, String... words) {
    return words[random.nextInt(words.length)];
  }

  private static <T> Optional<T> maybe(Random random, T value) {
    return random.nextBoolean() ? Optional.of(value) : Optional.empty();
  }
}
