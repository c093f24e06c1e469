package dev.cmcp.verify.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.Digests;
import dev.cmcp.verify.claim.TestGateway;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogReplayTest {

  @TempDir Path dir;

  @Test
  void anIntactLogGivesItsEntriesHashesAndTheHeadOfEveryPrefix() {
    TestGateway gateway = TestGateway.withTwoSessions(dir);

    AuditLogReplay.Intact log = intact(gateway.log());

    assertThat(log.length()).isEqualTo(8);
    assertThat(log.epoch()).isEqualTo(TestGateway.EPOCH);
    assertThat(log.previousEpochTip()).isEqualTo(AuditEntry.NO_PREDECESSOR);
    assertThat(log.entry(5).get("tool").asText()).isEqualTo("crm.export_all");
    for (int i = 0; i < 8; i++) {
      assertThat(log.entryHashHex(i)).isEqualTo(gateway.entryHash(i));
    }
    ChainHead prefix = log.prefix(5);
    assertThat(prefix.length()).isEqualTo(5);
    assertThat(prefix.tip()).isEqualTo(gateway.entryHash(4));
    List<byte[]> firstFive = List.of(0, 1, 2, 3, 4).stream()
        .map(i -> HexFormat.of().parseHex(gateway.entryHash(i))).toList();
    assertThat(prefix.root()).isEqualTo(HexFormat.of().formatHex(MerkleTree.root(firstFive)));
    assertThat(log.head().tip()).isEqualTo(gateway.entryHash(7));
    assertThat(log.prefix(0)).isEqualTo(new ChainHead(0,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", AuditEntry.NO_PREDECESSOR));
  }

  @Test
  void entriesHandedOutCannotAlterTheReplay() {
    AuditLogReplay.Intact log = intact(TestGateway.withTwoSessions(dir).log());

    ((ObjectNode) log.entry(1)).put("tool", "changed");

    assertThat(log.entry(1).get("tool").asText()).isEqualTo("crm.contacts");
  }

  @Test
  void aGenesisLinkedToThePreviousEpochReportsItsTip() throws IOException {
    String tip = "ab".repeat(32);
    ObjectNode genesis = genesis(tip);
    genesis.putObject("previous_epoch").put("file", "audit-x.jsonl").put("length", 3).put("root", "cd".repeat(32)).put("tip", tip);
    Path file = writeLines(genesis);

    assertThat(intact(file).previousEpochTip()).isEqualTo(tip);
  }

  @Test
  void aGenesisPrevThatDisagreesWithItsPreviousEpochIsBroken() throws IOException {
    ObjectNode genesis = genesis("ab".repeat(32));
    genesis.putNull("previous_epoch");

    assertBroken(writeLines(genesis), 1, "its prev must be 64 zeros");
  }

  @Test
  void theFirstEntryMustBeTheGenesis() throws IOException {
    ObjectNode entry = genesis(AuditEntry.NO_PREDECESSOR);
    entry.put("type", "decision");

    assertBroken(writeLines(entry), 1, "the first entry must be the genesis entry");
  }

  @Test
  void aSecondGenesisIsBroken() throws IOException {
    TestGateway gateway = new TestGateway(dir);
    ObjectNode second = genesis(gateway.entryHash(0));
    second.put("index", 1);
    Files.write(gateway.log(), AuditEntry.line(second), StandardOpenOption.APPEND);

    assertBroken(gateway.log(), 2, "a second genesis entry");
  }

  @Test
  void emptyFilesAndBlankLinesAreBroken() throws IOException {
    Path empty = Files.createFile(dir.resolve("empty.jsonl"));
    assertBroken(empty, 0, "is empty");

    TestGateway gateway = new TestGateway(dir);
    Files.writeString(gateway.log(), "\n", StandardOpenOption.APPEND);
    assertBroken(gateway.log(), 2, "not a JSON entry");
  }

  @Test
  void aLineThatIsNotAnObjectIsBroken() throws IOException {
    TestGateway gateway = new TestGateway(dir);
    Files.writeString(gateway.log(), "[1,2]\n", StandardOpenOption.APPEND);

    assertBroken(gateway.log(), 2, "not a JSON object");
  }

  @Test
  void aLineWithInvalidUtf8IsBroken() throws IOException {
    TestGateway gateway = new TestGateway(dir);
    Files.write(gateway.log(), new byte[] {'{', '"', (byte) 0xC3, '"', ':', '1', '}', '\n'}, StandardOpenOption.APPEND);

    assertBroken(gateway.log(), 2, "not valid UTF-8");
  }

  @Test
  void entriesReadAsTheirKindsRecordsIncludingTheOlderDecisionsWithoutActionOrRequestId() {
    AuditLogReplay.Intact log = intact(TestGateway.withTwoSessions(dir).log());

    assertThat(log.genesis().previousEpoch()).isEmpty();
    AuditRecord.Decision decision = (AuditRecord.Decision) log.record(1);
    assertThat(decision.tool()).isEqualTo("crm.contacts");
    assertThat(decision.action()).isEqualTo("call_tool");
    assertThat(decision.requestId()).isEmpty();
    assertThat(((AuditRecord.Outcome) log.record(3)).decisionIndex()).isEqualTo(1);
  }

  @Test
  void anEntryOfAnUnknownKindIsBroken() throws IOException {
    TestGateway gateway = new TestGateway(dir);
    ObjectNode entry = chained(gateway, "surprise");

    Files.write(gateway.log(), AuditEntry.line(entry), StandardOpenOption.APPEND);

    assertBroken(gateway.log(), 2, "entry.type: \"surprise\" is no entry kind this verifier knows");
  }

  @Test
  void anEntryWithAMemberItsKindDoesNotDefineIsBroken() throws IOException {
    TestGateway gateway = new TestGateway(dir);
    ObjectNode entry = chained(gateway, "bundle_reload").put("previous_bundle_hash", "a").put("bundle_hash", "b");
    entry.put("arguments", "{\"ssn\":\"123\"}");

    Files.write(gateway.log(), AuditEntry.line(entry), StandardOpenOption.APPEND);

    assertBroken(gateway.log(), 2, "entry.arguments: unknown field");
  }

  @Test
  void anEntryMissingAMemberOfItsKindIsBroken() throws IOException {
    TestGateway gateway = new TestGateway(dir);
    ObjectNode entry = chained(gateway, "bundle_reload").put("previous_bundle_hash", "a");

    Files.write(gateway.log(), AuditEntry.line(entry), StandardOpenOption.APPEND);

    assertBroken(gateway.log(), 2, "entry.bundle_hash: missing");
  }

  private static ObjectNode chained(TestGateway gateway, String type) {
    ObjectNode entry = JsonNodeFactory.instance.objectNode();
    entry.put("index", gateway.length());
    entry.put("type", type);
    entry.put("time", "2026-11-25T10:00:01.500Z");
    entry.put("epoch", TestGateway.EPOCH);
    entry.put("prev", gateway.entryHash(gateway.length() - 1));
    return entry;
  }

  private ObjectNode genesis(String prev) {
    ObjectNode genesis = JsonNodeFactory.instance.objectNode();
    genesis.put("index", 0);
    genesis.put("type", "genesis");
    genesis.put("time", "2026-11-25T10:00:00.000Z");
    genesis.put("epoch", "20261125T100000Z-00000000");
    genesis.put("prev", prev);
    genesis.put("gateway_version", "0.1.0");
    genesis.put("platform", "software");
    genesis.put("measurement", "00".repeat(48));
    genesis.put("bundle_hash", "sha256:" + "11".repeat(32));
    genesis.put("catalog_hash", "sha256:" + "22".repeat(32));
    genesis.put("enforcement_mode", "enforcing");
    genesis.put("key_thumbprint", "thumbprint");
    return genesis;
  }

  private Path writeLines(ObjectNode... entries) throws IOException {
    Path file = dir.resolve("audit.jsonl");
    for (ObjectNode entry : entries) {
      Files.write(file, AuditEntry.line(entry), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
    return file;
  }

  private static AuditLogReplay.Intact intact(Path file) {
    AuditLogReplay.Result result = AuditLogReplay.replay(file);
    assertThat(result).isInstanceOf(AuditLogReplay.Intact.class);
    return (AuditLogReplay.Intact) result;
  }

  private static void assertBroken(Path file, long line, String reasonPart) {
    AuditLogReplay.Result result = AuditLogReplay.replay(file);
    assertThat(result).isInstanceOf(AuditLogReplay.Broken.class);
    AuditLogReplay.Broken broken = (AuditLogReplay.Broken) result;
    assertThat(broken.lineNumber()).as(broken.describe()).isEqualTo(line);
    assertThat(broken.reason()).contains(reasonPart);
  }

  @Test
  void theStoredLineIsTheCanonicalEntryAndItsHashIsOverThoseBytes() {
    ObjectNode entry = JsonNodeFactory.instance.objectNode().put("b", 1).put("a", "é");

    byte[] line = AuditEntry.line(entry);

    assertThat(new String(line, StandardCharsets.UTF_8)).isEqualTo("{\"a\":\"é\",\"b\":1}\n");
    assertThat(AuditEntry.entryHashHex(entry))
        .isEqualTo(HexFormat.of().formatHex(Digests.sha256("{\"a\":\"é\",\"b\":1}".getBytes(StandardCharsets.UTF_8))));
  }
}
