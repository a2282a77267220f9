package com.dedw3n.platform.budget;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AddressSubjectsTests {

  @Test
  void anIpv6AddressSpendsItsSlash64sBudgetAndAnIpv4AddressItsOwn() {
    assertThat(AddressSubjects.of("2001:db8:1:2:3:4:5:6"))
        .isEqualTo(AddressSubjects.of("2001:db8:1:2:ffff::1"))
        .isEqualTo(AddressSubjects.of("2001:0db8:0001:0002::"))
        .isEqualTo("2001:db8:1:2::/64");
    assertThat(AddressSubjects.of("2001:db8:1:3::1")).isEqualTo("2001:db8:1:3::/64");
    assertThat(AddressSubjects.of("203.0.113.7")).isEqualTo("203.0.113.7");
    // an IPv4 client seen through an IPv6 socket is that IPv4 address
    assertThat(AddressSubjects.of("::ffff:203.0.113.7")).isEqualTo("203.0.113.7");
    assertThat(AddressSubjects.of("unknown")).isEqualTo("unknown");
  }

  @Test
  void theBucketKeysOfAddressesFollowTheirSubjects() {
    assertThat(Payer.address("2001:db8:1:2::10").costKey())
        .isEqualTo(Payer.address("2001:db8:1:2::20").costKey())
        .isEqualTo("cost:address:2001:db8:1:2::/64");
    assertThat(Payer.address("192.0.2.1").costKey()).isEqualTo("cost:address:192.0.2.1");
  }
}
