package dev.cmcp.verify.base;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.erdtman.jcs.JsonCanonicalizer;
import org.erdtman.jcs.NumberToJSON;

/**
 * RFC 8785 (JCS) canonical JSON: the byte form every hash and signature in cMCP is computed over.
 *
 * <p>A Jackson tree is written canonically in one pass: keys sorted by UTF-16 code units, strings
 * with the RFC's minimal escapes, and numbers formatted by the JCS reference implementation's
 * ES6 number serialiser (the hard part, kept in the library). Rendering the tree to text and
 * re-parsing it with the reference canonicaliser gave the same bytes at four times the cost on
 * every call's audit path. Anything the one-pass writer does not handle exactly (a number that is
 * not finite or not an int, long or double, a lone surrogate, a scalar as the whole text, a node
 * type other than plain JSON) goes through the reference implementation, so its answer, or its
 * refusal, is the library's. {@code CanonicalJsonTest}
 * checks the two against each other and against the RFC's vectors.
 */
public final class CanonicalJson {

  private static final ObjectMapper PLAIN = new ObjectMapper();
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  /** 2^53: every integer of at most this magnitude is a double exactly. */
  private static final long MAX_EXACT_INTEGER = 1L << 53;

  private CanonicalJson() {}

  /** The canonical UTF-8 bytes of a JSON tree. */
  public static byte[] bytes(JsonNode node) {
    Sink out = new Sink(256);
    // The reference implementation takes only an object or an array as the whole text.
    if (node.isContainerNode() && write(node, out)) {
      return out.toByteArray();
    }
    return viaReference(node);
  }

  /**
   * The canonical UTF-8 bytes of one object member, {@code "key":value}, exactly as it appears
   * between the braces of the canonical form of any object holding it: what the audit log puts
   * together an entry from, without wrapping each member in an object of its own.
   */
  public static byte[] member(String key, JsonNode value) {
    Sink out = new Sink(64);
    if (writeString(key, out)) {
      out.write(':');
      if (write(value, out)) {
        return out.toByteArray();
      }
    }
    byte[] single = bytes(JsonNodeFactory.instance.objectNode().set(key, value));
    return Arrays.copyOfRange(single, 1, single.length - 1);
  }

  /** The reference implementation's answer: the tree rendered as text and canonicalised by JCS. */
  static byte[] viaReference(JsonNode node) {
    try {
      return new JsonCanonicalizer(PLAIN.writeValueAsString(node)).getEncodedUTF8();
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot serialise JSON tree: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      // JCS rejects what RFC 8785 cannot represent (NaN, infinities).
      throw new IllegalArgumentException("JSON cannot be canonicalised (RFC 8785): " + e.getMessage(), e);
    }
  }

  /** The canonical form of a JSON text. */
  public static String canonicalize(String json) {
    try {
      return new JsonCanonicalizer(json).getEncodedString();
    } catch (IOException e) {
      throw new IllegalArgumentException("JSON cannot be canonicalised (RFC 8785): " + e.getMessage(), e);
    }
  }

  /** The canonical form of a JSON tree, as a string. */
  public static String string(JsonNode node) {
    return new String(bytes(node), StandardCharsets.UTF_8);
  }

  /** Writes {@code node} canonically; false where only the reference implementation should answer. */
  private static boolean write(JsonNode node, Sink out) {
    switch (node.getNodeType()) {
      case OBJECT -> {
        List<Map.Entry<String, JsonNode>> members = new ArrayList<>(node.size());
        node.properties().forEach(members::add);
        // RFC 8785 section 3.2.3: by UTF-16 code units, which is String.compareTo.
        members.sort(Map.Entry.comparingByKey());
        out.write('{');
        boolean first = true;
        for (Map.Entry<String, JsonNode> member : members) {
          if (!first) {
            out.write(',');
          }
          first = false;
          if (!writeString(member.getKey(), out)) {
            return false;
          }
          out.write(':');
          if (!write(member.getValue(), out)) {
            return false;
          }
        }
        out.write('}');
        return true;
      }
      case ARRAY -> {
        out.write('[');
        for (int i = 0; i < node.size(); i++) {
          if (i > 0) {
            out.write(',');
          }
          if (!write(node.get(i), out)) {
            return false;
          }
        }
        out.write(']');
        return true;
      }
      case STRING -> {
        return writeString(node.textValue(), out);
      }
      case NUMBER -> {
        // JCS reads every number as an IEEE 754 double (RFC 8785 section 3.2.2.3). A float, short,
        // big integer or decimal is left to the reference: its double is that of Jackson's text.
        if (!node.isInt() && !node.isLong() && !node.isDouble()) {
          return false;
        }
        if (node.isInt() || node.isLong()) {
          long whole = node.longValue();
          if (whole >= -MAX_EXACT_INTEGER && whole <= MAX_EXACT_INTEGER) {
            // An integer a double holds exactly, below 1e21: ES6 writes its plain decimal digits.
            out.writeBytes(Long.toString(whole).getBytes(StandardCharsets.US_ASCII));
            return true;
          }
        }
        double value = node.doubleValue();
        if (!Double.isFinite(value)) {
          return false;
        }
        try {
          out.writeBytes(NumberToJSON.serializeNumber(value).getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
          return false;
        }
        return true;
      }
      case BOOLEAN -> {
        out.writeBytes(node.booleanValue() ? TRUE : FALSE);
        return true;
      }
      case NULL -> {
        out.writeBytes(NULL);
        return true;
      }
      default -> {
        // Binary, POJO and missing nodes: Jackson decides their text, so the reference path does.
        return false;
      }
    }
  }

  /**
   * A growing byte buffer without {@link java.io.ByteArrayOutputStream}'s lock: a canonical form
   * is written a few bytes at a time by one thread, and a lock per write cost more than the writing.
   */
  private static final class Sink {
    private byte[] buf;
    private int count;

    Sink(int size) {
      buf = new byte[size];
    }

    void write(int b) {
      if (count == buf.length) {
        buf = Arrays.copyOf(buf, buf.length * 2 + 16);
      }
      buf[count++] = (byte) b;
    }

    void writeBytes(byte[] bytes) {
      if (count + bytes.length > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + bytes.length));
      }
      System.arraycopy(bytes, 0, buf, count, bytes.length);
      count += bytes.length;
    }

    byte[] toByteArray() {
      return Arrays.copyOf(buf, count);
    }
  }

  private static final byte[] TRUE = "true".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] FALSE = "false".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);

  /** A string with RFC 8785's escapes (section 3.2.2.2); false on a lone surrogate. */
  private static boolean writeString(String text, Sink out) {
    out.write('"');
    int length = text.length();
    int ascii = 0;
    // Printable ASCII needing no escape, the common case (names, hashes, times), byte for byte.
    while (ascii < length) {
      char c = text.charAt(ascii);
      if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
        break;
      }
      ascii++;
    }
    if (ascii == length) {
      out.writeBytes(text.getBytes(StandardCharsets.ISO_8859_1));
      out.write('"');
      return true;
    }
    int runStart = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\' && !Character.isSurrogate(c)) {
        continue;
      }
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
        continue;
      }
      if (Character.isSurrogate(c)) {
        return false;
      }
      out.writeBytes(text.substring(runStart, i).getBytes(StandardCharsets.UTF_8));
      runStart = i + 1;
      out.write('\\');
      switch (c) {
        case '"' -> out.write('"');
        case '\\' -> out.write('\\');
        case '\b' -> out.write('b');
        case '\f' -> out.write('f');
        case '\n' -> out.write('n');
        case '\r' -> out.write('r');
        case '\t' -> out.write('t');
        default -> {
          out.write('u');
          out.write('0');
          out.write('0');
          out.write(HEX[c >> 4]);
          out.write(HEX[c & 0xF]);
        }
      }
    }
    out.writeBytes(text.substring(runStart).getBytes(StandardCharsets.UTF_8));
    out.write('"');
    return true;
  }
}
