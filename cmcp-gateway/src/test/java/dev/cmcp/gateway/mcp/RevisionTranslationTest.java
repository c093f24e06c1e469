package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class RevisionTranslationTest {

  private static final String CALL_ANSWER = """
      {"jsonrpc":"2.0","id":1,"result":{"content":[
        {"type":"text","text":"hi"},
        {"type":"resource_link","uri":"file:///a.txt","name":"a.txt","mimeType":"text/plain"},
        {"type":"audio","data":"AAAA","mimeType":"audio/wav"}],
       "structuredContent":{"n":1}}}
      """;

  @Test
  void anAgentOnMarch2025GetsResourceLinksAsTextAndKeepsAudio() throws Exception {
    ObjectNode answer = RevisionTranslation.forAgent("2025-03-26", GatewayUnderTest.parse(CALL_ANSWER));
    assertThat(answer.at("/result/content/0/text").asText()).isEqualTo("hi");
    assertThat(answer.at("/result/content/1/type").asText()).isEqualTo("text");
    assertThat(answer.at("/result/content/1/text").asText()).contains("a.txt").contains("file:///a.txt");
    assertThat(answer.at("/result/content/2/type").asText()).isEqualTo("audio");
    assertThat(answer.at("/result/structuredContent/n").asInt()).isEqualTo(1);
  }

  @Test
  void anAgentOnNovember2024AlsoGetsAudioAsTextAndPromptMessagesAreTranslated() throws Exception {
    ObjectNode answer = RevisionTranslation.forAgent("2024-11-05", GatewayUnderTest.parse(CALL_ANSWER));
    assertThat(answer.at("/result/content/2/type").asText()).isEqualTo("text");
    assertThat(answer.at("/result/content/2/text").asText()).contains("audio/wav");
    ObjectNode prompt = RevisionTranslation.forAgent("2025-03-26", GatewayUnderTest.parse(
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"messages\":[{\"role\":\"user\",\"content\":"
            + "{\"type\":\"resource_link\",\"uri\":\"x:1\",\"name\":\"one\"}}]}}"));
    assertThat(prompt.at("/result/messages/0/content/type").asText()).isEqualTo("text");
  }

  @Test
  void newerAgentsGetTheAnswerUnchanged() throws Exception {
    ObjectNode original = GatewayUnderTest.parse(CALL_ANSWER);
    assertThat(RevisionTranslation.forAgent("2025-06-18", original.deepCopy())).isEqualTo(original);
    assertThat(RevisionTranslation.forAgent("2025-11-25", original.deepCopy())).isEqualTo(original);
  }
}
