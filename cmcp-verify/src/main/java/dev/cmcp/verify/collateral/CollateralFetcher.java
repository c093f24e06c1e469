package dev.cmcp.verify.collateral;

import dev.cmcp.verify.evidence.TrustStore;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where the collateral that checks a piece of platform evidence comes from besides the
 * operator's certificates folder: nowhere ({@link #offline()}, the default), or AMD's Key
 * Distribution Service and Intel's Provisioning Certification Service ({@link #online}).
 *
 * <p>What is fetched only joins the operator's {@link TrustStore}; it is checked exactly as
 * laid-out files are, so fetching never makes evidence pass that would fail with the same files
 * laid out by hand. No trust anchor is ever fetched into force: the SEV-SNP verifier pins AMD's
 * ARK by hash, and for TDX every self-signed certificate a service sends is dropped, so Intel's
 * root must come from the operator's folder.
 */
public sealed interface CollateralFetcher permits CollateralFetcher.Offline, KdsPcsFetcher {

  /** AMD's Key Distribution Service. */
  URI AMD_KDS = URI.create("https://kdsintf.amd.com/");

  /** Intel's Provisioning Certification Service. */
  URI INTEL_PCS = URI.create("https://api.trustedservices.intel.com/");

  /**
   * What was fetched for one piece of evidence.
   *
   * @param store the certificates, CRLs and signed collateral documents, to add to the operator's
   * @param notes one line per request: where it came from (network or cache), and anything the user should know
   */
  record Fetched(TrustStore store, List<String> notes) {
    public Fetched {
      notes = List.copyOf(notes);
    }

    /** Nothing fetched. */
    public static Fetched nothing() {
      return new Fetched(TrustStore.empty(), List.of());
    }
  }

  /** VCEK (or nothing for a VLEK, which the host sends), the ASK or ASVK and ARK, and AMD's CRL for this SEV-SNP report. */
  Fetched forSnp(byte[] evidence, Instant now) throws CollateralException;

  /** The PCK CRL, the root CA CRL, TCB info and QE identity, with their signing chains, for this TDX quote. */
  Fetched forTdx(byte[] quote, Instant now) throws CollateralException;

  /** Fetches nothing: everything comes from the certificates folder. */
  static CollateralFetcher offline() {
    return new Offline();
  }

  /**
   * Fetches from {@code kds} and {@code pcs} (the vendors' services, {@link #AMD_KDS} and
   * {@link #INTEL_PCS}, or a mirror of them), keeping what it fetched in {@code cache} when given.
   *
   * @throws IllegalArgumentException when a base URL is not https (plain http only to a loopback address)
   */
  static CollateralFetcher online(URI kds, URI pcs, Optional<Path> cache) {
    return new KdsPcsFetcher(Endpoint.base("--kds-url", kds), Endpoint.base("--pcs-url", pcs),
        cache.map(CollateralCache::in).orElseGet(CollateralCache::none), Download.DEADLINE);
  }

  /** The null object: no collateral fetched. */
  record Offline() implements CollateralFetcher {
    @Override
    public Fetched forSnp(byte[] evidence, Instant now) {
      return Fetched.nothing();
    }

    @Override
    public Fetched forTdx(byte[] quote, Instant now) {
      return Fetched.nothing();
    }
  }
}
