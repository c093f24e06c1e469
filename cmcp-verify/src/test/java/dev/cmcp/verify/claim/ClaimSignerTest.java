package dev.cmcp.verify.claim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.Jwk;
import java.security.KeyPairGenerator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ClaimSignerTest {

  private ClaimSigner signer;
  private ObjectNode claim;

  @BeforeEach
  void newKey() throws Exception {
    signer = new ClaimSigner(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
    claim = new ObjectMapper().createObjectNode();
    claim.putObject("trace").putObject("cnf").set("jwk", signer.jwk().toJson());
    claim.putObject("gateway").put("session_id", "s1");
  }

  @Test
  void aSignedClaimVerifiesWithTheSignersJwk() {
    ObjectNode signed = signer.sign(claim);

    assertThatCode(() -> ClaimSignature.verify(signed, signer.jwk())).doesNotThrowAnyException();
    assertThat(claim.has("signature")).as("the input is not modified").isFalse();
  }

  @Test
  void theSignatureCoversEveryFieldButItself() {
    ObjectNode signed = signer.sign(claim);
    ((ObjectNode) signed.get("gateway")).put("session_id", "s2");

    assertThatThrownBy(() -> ClaimSignature.verify(signed, signer.jwk()))
        .isInstanceOf(ClaimException.class).hasMessageContaining("does not verify");
  }

  @Test
  void reSigningReplacesTheOldSignature() {
    ObjectNode once = signer.sign(claim);
    ObjectNode twice = signer.sign(once);

    assertThatCode(() -> ClaimSignature.verify(twice, signer.jwk())).doesNotThrowAnyException();
    assertThat(ClaimSignature.signedBytes(once)).isEqualTo(ClaimSignature.signedBytes(claim));
  }

  @Test
  void aClaimNamingAnotherKeyIsNotSigned() throws Exception {
    Jwk other = Jwk.fromPublicKey(KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic());
    ((ObjectNode) claim.at("/trace/cnf")).set("jwk", other.toJson());

    assertThatThrownBy(() -> signer.sign(claim)).hasMessageContaining("not this signer's key");
  }

  @Test
  void aPaddedSignatureIsRefused() {
    ObjectNode signed = signer.sign(claim);
    signed.put("signature", signed.get("signature").asText() + "==");

    assertThatThrownBy(() -> ClaimSignature.verify(signed, signer.jwk())).hasMessageContaining("signature: not");
  }

  @Test
  void anotherKeyTypeIsRefused() throws Exception {
    var rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(1024);

    assertThatThrownBy(() -> new ClaimSigner(rsa.generateKeyPair())).hasMessageContaining("must be Ed25519");
  }
}
