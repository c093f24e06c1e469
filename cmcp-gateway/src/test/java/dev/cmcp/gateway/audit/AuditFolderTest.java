package dev.cmcp.gateway.audit;

import static dev.cmcp.gateway.audit.AuditFixtures.CLOCK;
import static dev.cmcp.gateway.audit.AuditFixtures.allowed;
import static dev.cmcp.gateway.audit.AuditFixtures.blocked;
import static dev.cmcp.gateway.audit.AuditFixtures.genesis;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cmcp.verify.audit.AuditFolder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The verifier follows the links between the epochs the gateway writes, across a whole audit folder. */
class AuditFolderTest {

  @TempDir Path dir;

  private List<Path> threeEpochs() throws Exception {
    List<Path> files = new ArrayList<>();
    for (int boot = 1; boot <= 3; boot++) {
      try (AuditLog log = AuditLog.open(dir, genesis("thumb-" + boot), CLOCK)) {
        log.appendDecision(allowed("s" + boot, "crm.read"));
        log.appendDecision(blocked("s" + boot, "crm.delete"));
        files.add(log.file());
      }
    }
    return files;
  }

  @Test
  void epochsTheGatewayWroteLinkUpAcrossTheFolder() throws Exception {
    List<Path> files = threeEpochs();

    AuditFolder folder = AuditFolder.verify(dir);

    assertThat(folder.faults()).isEmpty();
    assertThat(folder.epochs()).containsExactlyElementsOf(files);
  }

  @Test
  void aDeletedEpochIsNamedByTheEpochThatLinksToIt() throws Exception {
    List<Path> files = threeEpochs();
    Files.delete(files.get(1));

    assertThat(AuditFolder.verify(dir).faults()).singleElement().asString()
        .contains(files.get(2).getFileName().toString()).contains("an epoch between them was deleted");
  }

  @Test
  void aDeletedFirstEpochIsNamed() throws Exception {
    List<Path> files = threeEpochs();
    Files.delete(files.get(0));

    assertThat(AuditFolder.verify(dir).faults()).singleElement().asString()
        .contains(files.get(1).getFileName().toString()).contains("which is not in the folder");
  }

  @Test
  void aQuarantinedEpochIsAcceptedWhenItsEntryNamesItAndRefusedOnceChanged() throws Exception {
    List<Path> files = threeEpochs();
    Path damaged = files.get(2);
    List<String> lines = Files.readAllLines(damaged, StandardCharsets.UTF_8);
    lines.set(1, "not an entry");
    Files.write(damaged, lines, StandardCharsets.UTF_8);
    try (AuditLog log = AuditLog.open(dir, genesis("thumb-4"), CLOCK)) {
      assertThat(log.quarantined()).hasSize(1);
    }

    AuditFolder folder = AuditFolder.verify(dir);
    assertThat(folder.faults()).isEmpty();
    assertThat(folder.quarantined()).hasSize(1);

    Files.writeString(folder.quarantined().get(0), "more\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    assertThat(AuditFolder.verify(dir).faults()).singleElement().asString().contains("is not the one its quarantine entry recorded");
  }
}
