package dev.cmcp.verify.cli;

import dev.cmcp.verify.base.Base64Url;
import dev.cmcp.verify.base.BoundedRead;
import dev.cmcp.verify.collateral.CollateralException;
import dev.cmcp.verify.collateral.CollateralFetcher;
import dev.cmcp.verify.evidence.EvidenceReport;
import dev.cmcp.verify.evidence.TrustStore;
import dev.cmcp.verify.evidence.TrustStoreException;
import dev.cmcp.verify.evidence.snp.SnpPolicy;
import dev.cmcp.verify.evidence.snp.SnpVerifier;
import dev.cmcp.verify.evidence.snp.TcbVersion;
import dev.cmcp.verify.evidence.tdx.TcbStatus;
import dev.cmcp.verify.evidence.tdx.TdxCollateral;
import dev.cmcp.verify.evidence.tdx.TdxException;
import dev.cmcp.verify.evidence.tdx.TdxPolicy;
import dev.cmcp.verify.evidence.tdx.TdxVerifier;
import dev.cmcp.verify.evidence.tpm.TpmCheck;
import dev.cmcp.verify.evidence.tpm.TpmTrust;
import dev.cmcp.verify.evidence.tpm.TpmVerifier;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The logic of {@code cmcp verify-evidence}: checks one piece of raw platform evidence on its
 * own, for operators and auditors who hold a report or quote rather than a claim. The gateway's
 * command parses the options into {@link Arguments} and returns {@link #run}'s exit code.
 *
 * <p>Exit codes as {@link VerifyCli}'s: 0 no check failed and every required one ran, 1 a check failed, the evidence file
 * cannot be read or collateral asked for with {@code --fetch-collateral} cannot be had, 2 an
 * option value is malformed or the certificates folder cannot be read. Raw evidence has no
 * policy to expect, so 0 needs only the genuineness checks and the expectations given
 * ({@code --report-data}, {@code --expected-measurement}) to pass; the report lists those not
 * given ({@code NOT GIVEN}, JSON {@code not_given}). Exit 3, {@code partially_verified}, when
 * no check failed but a required one was skipped: a TDX quote without Intel's collateral (CRLs,
 * TCB info, QE identity; each skipped check says how to supply it), a TPM quote whose attestation
 * key is not certified (see {@link dev.cmcp.verify.evidence.tpm.TpmVerification}).
 */
public final class VerifyEvidenceCli {

  /** A report is 1184 bytes and a quote a few kilobytes; a larger file is neither. */
  static final int MAX_EVIDENCE_BYTES = 1024 * 1024;

  private static final String COMMAND = "cmcp verify-evidence: ";
  private static final int REPORT_DATA_BYTES = 64;
  private static final Pattern BASE64URL = Pattern.compile("[A-Za-z0-9_-]+");

  /**
   * The options of {@code cmcp verify-evidence}.
   *
   * @param platform {@code --platform}: {@code sev-snp}, {@code tdx} or {@code tpm}
   * @param evidence {@code --evidence}: the raw report (SEV-SNP, optionally followed by the host's
   *     certificate table) or quote (TDX); for TPM the {@code cmcp-tpm-evidence-v1} JSON document,
   *     or its base64url as a claim's {@code trace.runtime.evidence} holds it
   * @param certs {@code --certs}: vendor roots, intermediates, the platform's certificate, CRLs, collateral;
   *     required unless {@code collateral} fetches (SEV-SNP needs nothing more then; TDX still needs Intel's root here)
   * @param reportData {@code --report-data}: the 64 bytes (128 hex digits) the evidence's user data must hold
   * @param expectedMeasurement {@code --expected-measurement}: SEV-SNP MEASUREMENT or TDX MRTD, 96 hex
   *     digits; the TPM quote's PCR digest, 64, 96 or 128 hex digits
   * @param now {@code --now}: judge certificates and CRLs at this time instead of the clock
   * @param json {@code --json}: print the report as JSON instead of one line per check
   * @param minTcb {@code --min-tcb}: the lowest SEV-SNP REPORTED_TCB accepted, {@code bootloader=3,tee=0,snp=8,microcode=115}
   * @param acceptTcbStatus {@code --accept-tcb-status}: TDX TCB statuses accepted besides UpToDate, comma-separated
   * @param collateral {@code --fetch-collateral}: where collateral comes from besides {@code certs}; {@link
   *     CollateralFetcher#offline()} unless asked
   * @param tpmAkCa {@code --tpm-ak-ca}: TPM only, PEM of the enrollment CA that signs AK certificates
   * @param tpmEkRoots {@code --tpm-ek-roots}: TPM only, PEM of the manufacturers' EK roots and
   *     intermediates; with {@code tpmAkCa} (both or neither) an enrolled AK's quote can be verified
   */
  public record Arguments(
      String platform,
      Path evidence,
      Optional<Path> certs,
      Optional<String> reportData,
      Optional<String> expectedMeasurement,
      Optional<Instant> now,
      boolean json,
      Optional<String> minTcb,
      Optional<String> acceptTcbStatus,
      CollateralFetcher collateral,
      Optional<Path> tpmAkCa,
      Optional<Path> tpmEkRoots) {

    /** Without TPM anchors. */
    public Arguments(
        String platform, Path evidence, Optional<Path> certs, Optional<String> reportData, Optional<String> expectedMeasurement,
        Optional<Instant> now, boolean json, Optional<String> minTcb, Optional<String> acceptTcbStatus,
        CollateralFetcher collateral) {
      this(platform, evidence, certs, reportData, expectedMeasurement, now, json, minTcb, acceptTcbStatus, collateral,
          Optional.empty(), Optional.empty());
    }

    /** Offline: collateral only from {@code certs}. */
    public Arguments(
        String platform, Path evidence, Path certs, Optional<String> reportData, Optional<String> expectedMeasurement,
        Optional<Instant> now, boolean json, Optional<String> minTcb, Optional<String> acceptTcbStatus) {
      this(platform, evidence, Optional.of(certs), reportData, expectedMeasurement, now, json, minTcb, acceptTcbStatus,
          CollateralFetcher.offline());
    }

    /** Without a minimum SEV-SNP TCB or extra TDX TCB statuses. */
    public Arguments(
        String platform, Path evidence, Path certs, Optional<String> reportData, Optional<String> expectedMeasurement,
        Optional<Instant> now, boolean json) {
      this(platform, evidence, certs, reportData, expectedMeasurement, now, json, Optional.empty(), Optional.empty());
    }
  }

  private VerifyEvidenceCli() {}

  public static int run(Arguments arguments, PrintStream out, PrintStream err) {
    String platform = arguments.platform();
    if (!platform.equals("sev-snp") && !platform.equals("tdx") && !platform.equals("tpm")) {
      err.println(COMMAND + "unknown platform \"" + platform + "\"; expected sev-snp, tdx or tpm");
      return VerifyCli.USAGE;
    }
    Optional<byte[]> reportData;
    SnpPolicy snpPolicy = SnpPolicy.defaults();
    TdxPolicy tdxPolicy = TdxPolicy.defaults();
    Optional<String> pcrDigest = Optional.empty();
    TrustStore certs;
    TpmTrust tpmTrust;
    try {
      tpmTrust = TpmTrust.fromOptions(arguments.tpmAkCa(), arguments.tpmEkRoots());
      if (tpmTrust instanceof TpmTrust.Anchors && !platform.equals("tpm")) {
        throw new IllegalArgumentException("--tpm-ak-ca and --tpm-ek-roots apply to --platform tpm only");
      }
      reportData = arguments.reportData().map(VerifyEvidenceCli::reportData);
      if (arguments.minTcb().isPresent()) {
        snpPolicy = snpPolicy.withMinimumTcb(TcbVersion.parse(arguments.minTcb().get()));
      }
      if (arguments.acceptTcbStatus().isPresent()) {
        tdxPolicy = tdxPolicy.withAcceptedTcbStatuses(TcbStatus.acceptedFrom(arguments.acceptTcbStatus().get()));
      }
      if (arguments.expectedMeasurement().isPresent()) {
        String measurement = arguments.expectedMeasurement().get();
        switch (platform) {
          case "sev-snp" -> snpPolicy = snpPolicy.withExpectedMeasurement(measurement);
          case "tdx" -> tdxPolicy = tdxPolicy.withExpectedMrtd(measurement);
          case "tpm" -> pcrDigest = Optional.of(pcrDigest(measurement));
        }
      }
      // The TPM verifier takes its anchors from --tpm-ak-ca/--tpm-ek-roots; the folder is still read, so a bad one is named.
      if (arguments.certs().isEmpty() && arguments.collateral() instanceof CollateralFetcher.Offline) {
        throw new IllegalArgumentException("--certs DIR is needed: the vendor certificates and collateral to check the"
            + " evidence with (or --fetch-collateral to get them from AMD's KDS or Intel's PCS)");
      }
      certs = arguments.certs().isPresent() ? TrustStore.load(arguments.certs().get()) : TrustStore.empty();
    } catch (IllegalArgumentException | TrustStoreException e) {
      err.println(COMMAND + e.getMessage());
      return VerifyCli.USAGE;
    }
    if (platform.equals("tpm")) {
      return tpm(arguments, reportData, pcrDigest, tpmTrust, out, err);
    }
    TdxCollateral collateral;
    try {
      collateral = TdxCollateral.from(certs);
    } catch (TdxException e) {
      err.println(COMMAND + e.getMessage());
      return VerifyCli.USAGE;
    }

    Optional<byte[]> evidence = read(arguments.evidence(), err);
    if (evidence.isEmpty()) {
      return VerifyCli.FAILED;
    }
    Instant now = arguments.now().orElseGet(Instant::now);
    try {
      CollateralFetcher.Fetched fetched = platform.equals("sev-snp")
          ? arguments.collateral().forSnp(evidence.get(), now)
          : arguments.collateral().forTdx(evidence.get(), now);
      fetched.notes().forEach(note -> err.println(COMMAND + "collateral: " + note));
      certs = certs.plus(fetched.store());
      collateral = TdxCollateral.from(certs);
    } catch (CollateralException | TdxException e) {
      err.println(COMMAND + e.getMessage());
      return VerifyCli.FAILED;
    }
    EvidenceReport<?> report = (platform.equals("sev-snp")
        ? SnpVerifier.verify(evidence.get(), certs, reportData, now, snpPolicy)
        : TdxVerifier.verify(evidence.get(), collateral, reportData, now, tdxPolicy).report())
        .withNotGiven(notGiven(arguments));
    out.print(arguments.json() ? VerifyCli.json(report.toJson()) : report.toText());
    out.flush();
    return report.exitCode();
  }

  private static int tpm(
      Arguments arguments, Optional<byte[]> reportData, Optional<String> pcrDigest, TpmTrust trust, PrintStream out,
      PrintStream err) {
    Optional<byte[]> evidence = read(arguments.evidence(), err);
    if (evidence.isEmpty()) {
      return VerifyCli.FAILED;
    }
    EvidenceReport<TpmCheck> report = TpmVerifier.verify(tpmEvidenceJson(evidence.get()), reportData, pcrDigest,
        trust, arguments.now().orElseGet(Instant::now)).report().withNotGiven(notGiven(arguments));
    out.print(arguments.json() ? VerifyCli.json(report.toJson()) : report.toText());
    out.flush();
    return report.exitCode();
  }

  /**
   * The evidence JSON document, from the file as written, or from its base64url (as copied out
   * of a claim's {@code trace.runtime.evidence}). Anything else is handed on as it is, for the
   * verifier to refuse by name.
   */
  private static byte[] tpmEvidenceJson(byte[] file) {
    String text = new String(file, StandardCharsets.US_ASCII).strip();
    if (BASE64URL.matcher(text).matches()) {
      try {
        return Base64Url.decode(text, IllegalArgumentException::new);
      } catch (IllegalArgumentException notBase64) {
        return file;
      }
    }
    return file;
  }

  /** The expectations not given, each with what was therefore not compared. */
  private static List<String> notGiven(Arguments arguments) {
    List<String> missing = new ArrayList<>();
    if (arguments.reportData().isEmpty()) {
      missing.add("--report-data: the evidence's user data was not compared with the value it should hold");
    }
    if (arguments.expectedMeasurement().isEmpty()) {
      missing.add("--expected-measurement: the measurement was not compared; any code in a genuine guest passes");
    }
    return missing;
  }

  private static String pcrDigest(String hex) {
    String digits = hex.trim().toLowerCase(Locale.ROOT);
    if (!digits.matches("[0-9a-f]{64}|[0-9a-f]{96}|[0-9a-f]{128}")) {
      throw new IllegalArgumentException("--expected-measurement of a TPM quote is its PCR digest: 64, 96 or 128 hex digits"
          + " (SHA-256, SHA-384, SHA-512), not \"" + hex + "\"");
    }
    return digits;
  }

  private static byte[] reportData(String hex) {
    String digits = hex.trim().toLowerCase(Locale.ROOT);
    if (!digits.matches("[0-9a-f]{" + 2 * REPORT_DATA_BYTES + "}")) {
      throw new IllegalArgumentException("--report-data must be " + 2 * REPORT_DATA_BYTES + " hex digits ("
          + REPORT_DATA_BYTES + " bytes, zeros included), not \"" + hex + "\"");
    }
    return HexFormat.of().parseHex(digits);
  }

  private static Optional<byte[]> read(Path file, PrintStream err) {
    try {
      return Optional.of(BoundedRead.read(file, MAX_EVIDENCE_BYTES, "a report, quote or evidence document"));
    } catch (BoundedRead.TooLargeException e) {
      err.println(COMMAND + e.getMessage());
    } catch (NoSuchFileException e) {
      err.println(COMMAND + "evidence file " + file + " not found");
    } catch (IOException e) {
      err.println(COMMAND + "cannot read evidence file " + file + ": " + e.getMessage());
    }
    return Optional.empty();
  }
}
