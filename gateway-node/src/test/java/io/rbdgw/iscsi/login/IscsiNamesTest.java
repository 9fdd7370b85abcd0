package io.rbdgw.iscsi.login;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.iscsi.pdu.WireText;
import org.junit.jupiter.api.Test;

class IscsiNamesTest {

    @Test
    void wellFormedNamesPass() {
        assertThat(IscsiNames.valid("iqn.1994-05.com.redhat:client1")).isTrue();
        assertThat(IscsiNames.valid("iqn.1991-05.com.microsoft:win-host.example.com"))
                .isTrue();
        assertThat(IscsiNames.valid("iqn.1998-01.com.vmware:esx1-6b3f2a1c")).isTrue();
        assertThat(IscsiNames.valid("iqn.2001-04.com.example.storage.tape1")).isTrue(); // no ':' part
        assertThat(IscsiNames.valid("iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-test"))
                .isTrue();
        assertThat(IscsiNames.valid("iqn.2004-10.com.ubuntu:01:4f2e9c1d_UPPER")).isTrue(); // the leniencies
        assertThat(IscsiNames.valid("iqn.2020-01.de.beispiel:größe")).isTrue(); // non-ASCII letters
        assertThat(IscsiNames.valid("eui.02004567A425678D")).isTrue();
        assertThat(IscsiNames.valid("naa.52004567BA64678D")).isTrue();
        assertThat(IscsiNames.valid("naa.62004567BA64678D0123456789ABCDEF")).isTrue();
        assertThat(IscsiNames.valid("iqn.2020-01.a:" + "x".repeat(223 - 14))).isTrue(); // exactly 223 bytes
    }

    @Test
    void malformedNamesFail() {
        for (String bad : new String[] {
            "",
            "iqn.",
            "host1",
            "iqn.deny",
            "iqn.1994-5.com.x:a",
            "iqn.1994-13.com.x:a",
            "iqn.1994-00.com.x:a",
            "iqn.1994-05.:a",
            "iqn.1994-05.com..x:a",
            "iqn.1994-05.com.x.:a",
            "iqn.1994-05com.x:a",
            "iqn.1994-05.com.x:a b",
            "iqn.1994-05.com.x:a\nFAKE LOG LINE",
            "iqn.1994-05.com.x:\u001b[2J",
            "iqn.1994-05.com.x:a\u0000",
            "iqn.1994-05.com.x:a/b",
            "iqn.1994-05.com.x:a\u2028",
            "eui.02004567A425678",
            "eui.02004567A425678DX",
            "eui.0200456GA425678D",
            "naa.52004567BA64678D00",
            "naa.5200",
            "iqn.2020-01.a:" + "x".repeat(223 - 13),
        }) {
            assertThat(IscsiNames.valid(bad)).as(WireText.escape(bad)).isFalse();
        }
        assertThat(IscsiNames.valid(null)).isFalse();
    }

    @Test
    void wireTextEscapesControlCharactersAndKeepsPlainTextAsIs() {
        String plain = "iqn.1994-05.com.redhat:client1";
        assertThat(WireText.escape(plain)).isSameAs(plain);
        assertThat(WireText.escape("a\nb\u001b[31mc\\d\u0085\u2028")).isEqualTo("a\\x0ab\\x1b[31mc\\\\d\\x85\\u2028");
        assertThat(WireText.escape("x".repeat(1000)))
                .startsWith("x".repeat(256))
                .endsWith("...(1000 chars)");
        assertThat(WireText.escape(null)).isEqualTo("null");
    }
}
