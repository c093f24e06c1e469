package dev.cmcp.gateway.explorer;

import static dev.cmcp.gateway.audit.AuditFixtures.BUNDLE_HASH;
import static dev.cmcp.gateway.audit.AuditFixtures.CATALOG_HASH;
import static dev.cmcp.gateway.audit.AuditFixtures.MEASUREMENT;
import static dev.cmcp.gateway.audit.AuditFixtures.NOW;
import static dev.cmcp.gateway.audit.AuditFixtures.allowed;
import static dev.cmcp.gateway.audit.AuditFixtures.blocked;
import static dev.cmcp.gateway.audit.AuditFixtures.genesis;
import static dev.cmcp.gateway.audit.AuditFixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.audit.AuditFixtures;
import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.claim.ClaimIssuer;
import dev.cmcp.gateway.config.ListenAddress;
import dev.cmcp.gateway.redaction.RedactionReport;
import dev.cmcp.verify.audit.AuditRecord.Outcome;
import dev.cmcp.verify.claim.Binding;
import dev.cmcp.verify.claim.ClaimSigner;
import dev.cmcp.verify.claim.SoftwareEvidence;
import dev.cmcp.verify.evidence.TrustStore;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;

/**
 * The audit explorer in a real browser (Debian's headless Chromium driven by Selenium): an audit
 * folder with allowed, denied and redacted calls over two epochs, the second one tampered with,
 * and a claim of each. Screenshots go to target/explorer-screenshots/.
 */
class AuditExplorerBrowserTest {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path SCREENSHOTS = Path.of("target", "explorer-screenshots");
  private static final String HOSTILE_TOOL = "<b id=\"injected\">evil</b>";

  @TempDir static Path dir;

  private static ExplorerServer explorer;
  private static ChromeDriver browser;
  private static String firstEpoch;
  private static String secondEpoch;

  @BeforeAll
  static void writeTheLogsAndOpenTheBrowser() throws Exception {
    assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "Debian's chromium and chromium-driver are not installed (.ci/run installs them)");
    Path audit = dir.resolve("audit");
    ClaimSigner signer = new ClaimSigner(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
    ObjectNode runtime = SoftwareEvidence.create(
        Binding.of(BUNDLE_HASH, CATALOG_HASH, "enforcing", signer.jwk().thumbprint()), MEASUREMENT, NOW);

    // Epoch 1: an allowed call, a redacted one and a denied one; a claim for the first session.
    Clock first = Clock.fixed(NOW, ZoneOffset.UTC);
    AuditLog log = AuditLog.open(audit, genesis(signer.jwk().thumbprint()), first);
    firstEpoch = log.epoch();
    long search = log.appendDecision(allowed("s1", "crm.search"));
    log.appendOutcome(ok(search, "s1", "crm.search"));
    long contacts = log.appendDecision(AuditFixtures.decision("s1", "wf-s1", "crm.contacts", "redact", "forwarded", Optional.empty(),
        List.of("redact-contacts"), "e".repeat(64), BUNDLE_HASH, "enforcing"));
    log.appendOutcome(new Outcome(contacts, "s1", "crm.contacts", "ok", Optional.of("f".repeat(64)),
        Optional.of(new RedactionReport(2, List.of("content[0].text"), false).toAudit()), Optional.empty()));
    log.appendDecision(blocked("s2", "crm.export"));
    log.appendDecision(blocked("s2", HOSTILE_TOOL));
    issuer(signer, runtime, log, audit, first).issue("s1");
    log.close();

    // Epoch 2, an hour later: one allowed call and its claim; then the decision is edited on disk.
    Clock second = Clock.fixed(NOW.plusSeconds(3600), ZoneOffset.UTC);
    log = AuditLog.open(audit, genesis(signer.jwk().thumbprint()), second);
    secondEpoch = log.epoch();
    long later = log.appendDecision(allowed("s3", "crm.search"));
    log.appendOutcome(ok(later, "s3", "crm.search"));
    issuer(signer, runtime, log, audit, second).issue("s3");
    Path tampered = log.file();
    log.close();
    String text = Files.readString(tampered, StandardCharsets.UTF_8);
    Files.writeString(tampered, text.replace("\"tool\":\"crm.search\",\"type\":\"decision\"", "\"tool\":\"crm.lookup\",\"type\":\"decision\""),
        StandardCharsets.UTF_8);
    assertThat(Files.readString(tampered)).contains("crm.lookup");

    explorer = new ExplorerServer(new ListenAddress("127.0.0.1", 0, true), audit, audit.resolve("claims"), TrustStore.empty(),
        Clock.fixed(NOW.plusSeconds(7200), ZoneOffset.UTC));
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,1000",
        "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")));
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER.toString()))
        .usingAnyFreePort().build();
    browser = new ChromeDriver(service, options);
    Files.createDirectories(SCREENSHOTS);
  }

  private static ClaimIssuer issuer(ClaimSigner signer, ObjectNode runtime, AuditLog log, Path audit, Clock clock) {
    return new ClaimIssuer(signer, () -> runtime, BUNDLE_HASH, CATALOG_HASH, "enforcing", 300, log, audit.resolve("claims"), clock);
  }

  @AfterAll
  static void close() {
    if (browser != null) {
      browser.quit();
    }
    if (explorer != null) {
      explorer.close();
    }
  }

  private static String page(String query) {
    return "http://127.0.0.1:" + explorer.port() + "/" + query;
  }

  /** The one call row of {@code tool} with {@code decision}. */
  private static WebElement row(String tool, String decision) {
    return browser.findElements(By.cssSelector("tr.call")).stream()
        .filter(row -> tool.equals(row.getAttribute("data-tool")) && decision.equals(row.getAttribute("data-decision")))
        .collect(java.util.stream.Collectors.collectingAndThen(java.util.stream.Collectors.toList(), rows -> {
          assertThat(rows).as("rows of %s %s", tool, decision).hasSize(1);
          return rows.getFirst();
        }));
  }

  private static void screenshot(String name) throws Exception {
    Files.write(SCREENSHOTS.resolve(name + ".png"), browser.getScreenshotAs(OutputType.BYTES));
  }

  @Test
  void theTamperedEpochIsRedAndNamesItsCheckWhileTheIntactOneIsGreen() throws Exception {
    browser.get(page(""));
    screenshot("overview");

    WebElement intact = browser.findElement(By.cssSelector("tr.epoch[data-epoch='" + firstEpoch + "'] td.chain"));
    assertThat(intact.getText()).isEqualTo("intact");
    assertThat(intact.getCssValue("background-color")).isEqualTo("rgba(218, 251, 225, 1)");
    WebElement broken = browser.findElement(By.cssSelector("tr.epoch[data-epoch='" + secondEpoch + "'] td.chain"));
    assertThat(broken.getText()).startsWith("broken: audit_chain: line 3:").contains("prev");
    assertThat(broken.getCssValue("background-color")).isEqualTo("rgba(255, 235, 233, 1)");

    List<WebElement> claims = browser.findElements(By.cssSelector("tr.claim"));
    assertThat(claims).hasSize(2);
    WebElement good = claims.stream().filter(row -> row.getText().contains(" s1 ")).findFirst().orElseThrow();
    assertThat(good.findElement(By.cssSelector("td.result")).getText()).isEqualTo("partially_verified");
    assertThat(good.findElement(By.cssSelector("td.result")).getCssValue("background-color")).isEqualTo("rgba(255, 248, 197, 1)");
    WebElement bad = claims.stream().filter(row -> row.getText().contains(" s3 ")).findFirst().orElseThrow();
    assertThat(bad.findElement(By.cssSelector("td.result")).getText()).isEqualTo("unverified");
    assertThat(bad.findElement(By.cssSelector("td.result")).getCssValue("background-color")).isEqualTo("rgba(255, 235, 233, 1)");
    assertThat(bad.findElement(By.cssSelector("td.why")).getText()).startsWith("audit_log:");
  }

  @Test
  void eachCallShowsItsDecisionPoliciesRedactionsAndOutcome() throws Exception {
    browser.get(page(""));

    WebElement allowedRow = row("crm.search", "allow");
    assertThat(allowedRow.findElement(By.cssSelector("td.outcome")).getText()).isEqualTo("ok");
    WebElement redacted = row("crm.contacts", "redact");
    assertThat(redacted.findElement(By.cssSelector("td.redactions")).getText()).isEqualTo("2 at content[0].text");
    assertThat(redacted.getText()).contains("redact-contacts");
    WebElement denied = row("crm.export", "deny");
    assertThat(denied.findElement(By.cssSelector("td.decision")).getCssValue("color")).isEqualTo("rgba(164, 14, 38, 1)");
    assertThat(denied.findElement(By.cssSelector("td.reason")).getText()).isEqualTo("no_permit");
    assertThat(denied.findElement(By.cssSelector("td.outcome")).getText()).isEmpty();
    // A tool name is the agent's text: shown as text, never markup.
    assertThat(browser.findElements(By.id("injected"))).isEmpty();
    assertThat(row(HOSTILE_TOOL, "deny").getText()).contains(HOSTILE_TOOL);
    assertThat(browser.findElements(By.cssSelector("#chart svg rect.calls"))).isNotEmpty();
    assertThat(browser.findElements(By.cssSelector("#chart svg rect.denials"))).isNotEmpty();
  }

  @Test
  void filtersNarrowThePageAndTheCsvExportTakesTheSameFilters() throws Exception {
    browser.get(page(""));
    new Select(browser.findElement(By.name("decision"))).selectByValue("deny");
    new Select(browser.findElement(By.name("principal"))).selectByValue("wf-s2");
    browser.findElement(By.cssSelector("form button[type=submit]")).click();
    screenshot("filtered-denials");

    List<WebElement> rows = browser.findElements(By.cssSelector("tr.call"));
    assertThat(rows).hasSize(2).allSatisfy(row -> assertThat(row.getAttribute("data-decision")).isEqualTo("deny"));
    String csvLink = browser.findElement(By.id("csv")).getAttribute("href");
    assertThat(csvLink).contains("decision=deny").contains("principal=wf-s2");
    HttpResponse<String> csv = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(csvLink)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(csv.headers().firstValue("Content-Type")).hasValue("text/csv; charset=utf-8");
    List<String> lines = csv.body().lines().toList();
    assertThat(lines.getFirst()).startsWith("time,epoch,index,session_id,principal,tool,action,decision");
    assertThat(lines).hasSize(3);
    assertThat(lines.get(1)).contains(",wf-s2,crm.export,call_tool,deny,blocked,no_permit,");

    browser.get(page("?from=2026-11-25T10:30"));
    assertThat(browser.findElements(By.cssSelector("tr.call"))).hasSize(1)
        .allSatisfy(row -> assertThat(row.getText()).contains("crm.lookup"));
  }

  @Test
  void theExplorerIsReadOnlyAndAnswersOnlyItsOwnHost() throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    HttpResponse<String> post = client.send(HttpRequest.newBuilder(URI.create(page(""))).POST(HttpRequest.BodyPublishers.noBody())
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
    HttpResponse<String> bad = client.send(HttpRequest.newBuilder(URI.create(page("?decision=maybe"))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("decision must be allow, redact or deny");
    HttpResponse<String> page = client.send(HttpRequest.newBuilder(URI.create(page(""))).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp -> assertThat(csp).contains("default-src 'none'"));
    assertThat(page.body()).doesNotContain("<script").doesNotContain("http://").doesNotContain("https://");
  }
}
