package com.dedw3n.platform.budget;

import io.netty.util.NetUtil;
import java.util.Arrays;

/**
 * Whose budget a client address spends: an IPv4 address its own, an IPv6 address its /64's. One
 * subscriber or server usually holds a whole /64 and may take any of its 2^64 addresses for each
 * request, so a budget per IPv6 address would bound nothing.
 */
final class AddressSubjects {

  private AddressSubjects() {}

  /** The budget subject of a client address; anything that is not an address stays as it is. */
  static String of(String address) {
    byte[] bytes = NetUtil.createByteArrayFromIpAddressString(address);
    if (bytes == null || bytes.length != 16) {
      return address;
    }
    if (isIpv4Mapped(bytes)) {
      return NetUtil.bytesToIpAddress(Arrays.copyOfRange(bytes, 12, 16));
    }
    StringBuilder prefix = new StringBuilder(24);
    for (int i = 0; i < 8; i += 2) {
      prefix.append(Integer.toHexString(((bytes[i] & 0xff) << 8) | (bytes[i + 1] & 0xff)));
      prefix.append(':');
    }
    return prefix.append(":/64").toString();
  }

  private static boolean isIpv4Mapped(byte[] bytes) {
    for (int i = 0; i < 10; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
  }
}
