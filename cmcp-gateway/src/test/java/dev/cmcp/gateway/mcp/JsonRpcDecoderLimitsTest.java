package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.cmcp.verify.base.StrictJson;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonRpcDecoderLimitsTest {

  private static byte[] callWithArray(int elements) {
    StringBuilder body = new StringBuilder("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"s.t\",\"arguments\":{\"a\":[");
    for (int i = 0; i < elements; i++) {
      body.append(i == 0 ? "0" : ",0");
    }
    return body.append("]}}}").toString().getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void argumentArrayOfMillionsOfValuesIsRefusedBeforeATreeIsBuilt() {
    // 4 MiB of "0," is two million values.
    byte[] body = callWithArray(2 * 1024 * 1024 - 64);
    JsonRpcDecoder decoder = new JsonRpcDecoder(new StrictJson(), 100_000);

    JsonRpcException refused = catchThrowableOfType(JsonRpcException.class, () -> decoder.decode(body));

    assertThat(refused.error().message()).contains("more than 100000 JSON values").contains("limits.max_json_values");
    assertThat(refused.httpStatus()).isEqualTo(400);
  }

  @Test
  void messageAtTheLimitIsDecoded() throws Exception {
    // Besides the elements: the message, jsonrpc, id, method, params, name, arguments and the array itself.
    JsonRpcDecoder decoder = new JsonRpcDecoder(new StrictJson(), 8 + 1000);

    assertThat(decoder.decode(callWithArray(1000))).isInstanceOf(JsonRpcMessage.Request.class);
    assertThat(catchThrowableOfType(JsonRpcException.class, () -> decoder.decode(callWithArray(1001)))).isNotNull();
  }
}
