package dev.cmcp.gateway.attest;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.cmcp.verify.base.Digests;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** A TPM attester whose answers the test decides: a quote naming its qualifying data, or a failure. */
final class ScriptedTpm implements TpmAttester {

  private final List<byte[]> qualifyingData = new ArrayList<>();
  private volatile String pcrDigest = Digests.sha256Hex(new byte[] {1});
  private volatile String failure;
  private volatile boolean closed;

  void failWith(String message) {
    failure = message;
  }

  void recover() {
    failure = null;
  }

  void measure(String digest) {
    pcrDigest = digest;
  }

  synchronized List<byte[]> qualifyingData() {
    return List.copyOf(qualifyingData);
  }

  boolean closed() {
    return closed;
  }

  @Override
  public synchronized Quote quote(byte[] data) throws AttestationException {
    if (failure != null) {
      throw new AttestationException(failure);
    }
    qualifyingData.add(data.clone());
    return new Quote(pcrDigest, JsonNodeFactory.instance.objectNode()
        .put("format", "test-tpm-evidence").put("extra_data", HexFormat.of().formatHex(data)));
  }

  @Override
  public void close() {
    closed = true;
  }
}
