package dev.cmcp.verify.base;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class JwkTest {

  private static final HexFormat HEX = HexFormat.of();

  // RFC 8032 section 7.1, TEST 1 (empty message).
  private static final String SECRET = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
  private static final String PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
  private static final String SIGNATURE = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065"
      + "224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

  private static Jwk rfc8032Key() {
    return new Jwk(Base64Url.encode(HEX.parseHex(PUBLIC)));
  }

  @Test
  void theRfc8032PublicKeyVerifiesItsTestSignature() throws Exception {
    Signature ed25519 = Signature.getInstance("Ed25519");
    ed25519.initVerify(rfc8032Key().publicKey());
    ed25519.update(new byte[0]);

    assertThat(ed25519.verify(HEX.parseHex(SIGNATURE))).isTrue();
  }

  @Test
  void theRfc8032SecretKeySignsToTheTestSignatureAndItsPublicKeyHasTheTestJwk() throws Exception {
    PrivateKey secret = KeyFactory.getInstance("Ed25519")
        .generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, HEX.parseHex(SECRET)));
    Signature ed25519 = Signature.getInstance("Ed25519");
    ed25519.initSign(secret);
    ed25519.update(new byte[0]);

    assertThat(HEX.formatHex(ed25519.sign())).isEqualTo(SIGNATURE);
    assertThat(Jwk.fromPublicKey(rfc8032Key().publicKey())).isEqualTo(rfc8032Key());
  }

  @Test
  void theThumbprintIsTheRfc8037Vector() {
    Jwk key = rfc8032Key();

    assertThat(key.x()).isEqualTo("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
    assertThat(key.thumbprint()).isEqualTo("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    assertThat(key.toJson().toString()).isEqualTo("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}");
  }

  @Test
  void aJdkKeyRoundTripsThroughItsJwk() throws Exception {
    for (int i = 0; i < 20; i++) {
      KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      Jwk jwk = Jwk.fromPublicKey(pair.getPublic());

      assertThat(jwk.publicKey().getEncoded()).isEqualTo(pair.getPublic().getEncoded());
    }
  }

  @Test
  void aKeyThatIsNotEd25519IsRefused() throws Exception {
    KeyPair ed448 = KeyPairGenerator.getInstance("Ed448").generateKeyPair();

    assertThatThrownBy(() -> Jwk.fromPublicKey(ed448.getPublic())).hasMessageContaining("not an Ed25519 public key");
  }

  @Test
  void paddedOrWrongLengthKeysAreRefused() {
    String x = rfc8032Key().x();
    assertThatThrownBy(() -> new Jwk(x + "=")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Jwk(x.substring(0, 42))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Jwk(x.replace('_', '/'))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aJwkOfAnotherKeyTypeIsNamedInTheError() throws Exception {
    var json = new ObjectMapper().readTree("{\"kty\":\"EC\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}");

    assertThatThrownBy(() -> Jwk.fromJson(json, "trace.cnf.jwk", IllegalArgumentException::new)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("trace.cnf.jwk.kty: expected one of [OKP]");
  }
}
