package dev.cmcp.gateway.redaction;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.StrictJson;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Generated answers with personal data in any position (structured content, JSON text in a text
 * item, envelope members, nested arrays and objects) and in any form (inside free text, as a
 * string of digits with or without separators, as a JSON number written whole, with a decimal
 * point or with an exponent, under a member the policy names): none of it reaches the agent.
 */
class RedactionPropertiesTest {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final StrictJson JSON = new StrictJson();
  private static final Redaction POLICY = new Redaction(Set.of("email"), EnumSet.allOf(Detector.class));
  /** The value a member named {@code email} holds: no detector matches it, only the field rule can remove it. */
  private static final String FIELD_SECRET = "zz-field-secret-zz";
  private static final List<BigInteger> CARDS = List.of(new BigInteger("4111111111111111"), new BigInteger("5500005555555559"));
  /** Any card, written with or without separators, decimal point or exponent, once spaces and dashes are gone. */
  private static final Pattern CARD_TEXT = Pattern.compile("4\\.?111111111111111|5\\.?500005555555559");
  private static final List<String> KEYS = List.of("name", "notes", "items", "value", "owner", "text", "meta", "list", "x");

  private final ResponseRedactor redactor = new ResponseRedactor(JSON);

  @Property(tries = 300)
  void noSensitiveValueReachesTheAgentWhereverAndHoweverItIsWritten(@ForAll("trees") JsonNode tree) throws Exception {
    ObjectNode response = NODES.objectNode().put("jsonrpc", "2.0").put("id", 1);
    ObjectNode result = response.putObject("result");
    result.putArray("content").addObject().put("type", "text").put("text", JSON.mapper().writeValueAsString(tree));
    result.set("structuredContent", tree.deepCopy());
    result.set("other", tree.deepCopy());

    redactor.redact(response, POLICY);

    String delivered = JSON.mapper().writeValueAsString(response);
    assertThat(delivered).doesNotContain("@example.com", "123-45-6789", "123 45 6789");
    assertThat(delivered.replace(" ", "").replace("-", "")).doesNotContainPattern(CARD_TEXT);
    assertThat(JSON.mapper().writeValueAsString(result.get("structuredContent"))).doesNotContain(FIELD_SECRET);
    assertThat(result.at("/content/0/text").asText()).doesNotContain(FIELD_SECRET);
    // An agent's JSON reader turns numbers into doubles: none of those may be a card either.
    assertNoCardNumber(new ObjectMapper().readTree(delivered));
  }

  private static void assertNoCardNumber(JsonNode node) {
    if (node.isNumber()) {
      double value = Math.abs(node.doubleValue());
      for (BigInteger card : CARDS) {
        assertThat(value).isNotEqualTo(card.doubleValue());
      }
    }
    node.elements().forEachRemaining(RedactionPropertiesTest::assertNoCardNumber);
  }

  @Provide
  Arbitrary<JsonNode> trees() {
    return tree(3);
  }

  private Arbitrary<JsonNode> tree(int depth) {
    if (depth == 0) {
      return leaf();
    }
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, leaf()),
        net.jqwik.api.Tuple.of(2, object(depth - 1)),
        net.jqwik.api.Tuple.of(1, array(depth - 1)));
  }

  private Arbitrary<JsonNode> object(int depth) {
    Arbitrary<Map<String, JsonNode>> members = Arbitraries.maps(Arbitraries.of(KEYS), tree(depth)).ofMaxSize(4);
    return Combinators.combine(members, Arbitraries.of("", "email", "Email", "EMAIL")).as((map, fieldName) -> {
      ObjectNode object = NODES.objectNode();
      map.forEach(object::set);
      if (!fieldName.isEmpty()) {
        object.put(fieldName, FIELD_SECRET);
      }
      return object;
    });
  }

  private Arbitrary<JsonNode> array(int depth) {
    return tree(depth).list().ofMaxSize(4).map(elements -> {
      ArrayNode array = NODES.arrayNode();
      elements.forEach(array::add);
      return array;
    });
  }

  private static Arbitrary<JsonNode> leaf() {
    Arbitrary<String> words = Arbitraries.of("Acme", "renewal", "order", "note", "ok", "");
    Arbitrary<String> sensitive = Arbitraries.of(
        "alice.moreno@example.com", "b.o-b+x@mail.example.com",
        "4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "5500 0055 5555 5559", "4111111111111111.0",
        "4.111111111111111e15", "4.111111111111111E+15", "5.500005555555559e15",
        "123-45-6789", "123 45 6789");
    Arbitrary<JsonNode> text = Combinators.combine(words, sensitive, words, Arbitraries.of(" ", ": ", "(", "\n"))
        .as((before, secret, after, gap) -> NODES.textNode(before + gap + secret + (gap.equals("(") ? ")" : gap) + after));
    Arbitrary<JsonNode> number = Arbitraries.of(
        "4111111111111111", "4111111111111111.0", "4.111111111111111e15", "41111111111111110e-1", "-4111111111111111",
        "4.1111111111111110E+15", "5500005555555559", "5.500005555555559e15", "4111111111111111.00000001")
        .map(written -> written.contains(".") || written.contains("e") || written.contains("E")
            ? DecimalNode.valueOf(new BigDecimal(written))
            : NODES.numberNode(new BigInteger(written)));
    Arbitrary<JsonNode> safe = Arbitraries.oneOf(
        words.map(NODES::textNode), Arbitraries.integers().between(0, 99).map(NODES::numberNode),
        Arbitraries.of(NODES.booleanNode(true), NODES.nullNode()));
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, safe), net.jqwik.api.Tuple.of(2, text), net.jqwik.api.Tuple.of(2, number));
  }
}
