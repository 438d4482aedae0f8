#define BOOST_TEST_MODULE ReminderRenderer
#include <boost/test/unit_test.hpp>

#include "ReminderData.h"

#include "notify/ReminderRenderer.h"

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/StreamCopier.h>
#include <Poco/TemporaryFile.h>

#include <regex>

using namespace acd;
using namespace acd::test;

namespace {

const std::string Image = "https://img.example.com/search?fileName=/Products/shoe.png";

ReminderRenderer renderer(const std::string& unsubscribeUrl = "",
                          std::function<std::string(const std::string&)> token = {})
{
    return ReminderRenderer({templatesDir(), unsubscribeUrl, std::move(token)});
}

std::size_t count(const std::string& text, const std::string& what)
{
    std::size_t n = 0;
    for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + what.size()))
        ++n;
    return n;
}

std::string read(const std::string& path)
{
    Poco::FileInputStream in(path);
    std::string text;
    Poco::StreamCopier::copyToString(in, text);
    return text;
}

void write(const std::string& path, const std::string& text)
{
    Poco::FileOutputStream out(path);
    out << text;
}

} // namespace

BOOST_AUTO_TEST_CASE(renders_names_prices_images_and_the_button_in_english)
{
    const std::string data = reminderData(
        "Ada", "Lovelace", "en-us", "USD",
        {{"Trail Runner Shoe", "2", "89.9", Image, "Shoe, red"}, {"Wool Socks", "1", "12", "", ""}});
    const RenderedReminder r = renderer().render(data, "ada@example.com");
    BOOST_TEST(r.language == "en");
    BOOST_TEST(r.subject == "Ada, your cart is waiting for you");
    BOOST_TEST(r.recipientName == "Ada Lovelace");
    for (const std::string& part : {r.html, r.text})
    {
        BOOST_TEST(part.find("Trail Runner Shoe") != std::string::npos);
        BOOST_TEST(part.find("Wool Socks") != std::string::npos);
        BOOST_TEST(part.find("$89.90") != std::string::npos);  // unit price
        BOOST_TEST(part.find("$179.80") != std::string::npos); // 2 x 89.90
        BOOST_TEST(part.find("$191.80") != std::string::npos); // total
    }
    BOOST_TEST(r.html.find("Return to your cart</a>") != std::string::npos);
    BOOST_TEST(r.html.find("href=\"https://shop.example.com/cart?id=c1\"") != std::string::npos);
    BOOST_TEST(r.text.find("https://shop.example.com/cart?id=c1") != std::string::npos);

    // One <picture> for the product with an image: a <source> per viewport, the default <img>.
    BOOST_TEST(count(r.html, "<picture>") == 1u);
    BOOST_TEST(count(r.html, "<source ") == 3u);
    BOOST_TEST(r.html.find("<source media=\"(max-width:768px)\" srcset=\"" + Image + "&amp;w=80\">") !=
               std::string::npos);
    BOOST_TEST(r.html.find("<img src=\"" + Image + "&amp;w=315\" alt=\"Shoe, red\"") != std::string::npos);
    BOOST_TEST(r.unsubscribeUrl.empty());
    BOOST_TEST(r.html.find("Stop these reminders") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_value_is_escaped_in_the_html_and_left_as_is_in_the_text)
{
    const std::string first = "<script>alert(\"x\")</script>";
    const std::string last = "O'Hara & \"Sons\"";
    const std::string product = "<img src=x onerror=alert(1)> `tick`";
    const std::string data = reminderData(first, last, "en", "EUR",
                                          {{product, "1", "10.5", Image + "\"><script>", "alt \" onload=x"}});
    const RenderedReminder r = renderer().render(data, "x@example.com");
    BOOST_TEST(r.html.find("<script") == std::string::npos);
    BOOST_TEST(r.html.find("<img src=x") == std::string::npos);
    BOOST_TEST(r.html.find("\" onload=x") == std::string::npos);
    BOOST_TEST(r.html.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") != std::string::npos);
    BOOST_TEST(r.html.find("&lt;img src=x onerror=alert(1)&gt; &#96;tick&#96;") != std::string::npos);
    BOOST_TEST(r.html.find("alt=\"alt &quot; onload=x\"") != std::string::npos);
    BOOST_TEST(r.html.find("€10.50") != std::string::npos);
    BOOST_TEST(r.text.find("Hello " + first + ",") != std::string::npos);
    BOOST_TEST(r.text.find(product) != std::string::npos);
    BOOST_TEST(r.subject == first + ", your cart is waiting for you");
    BOOST_TEST(r.recipientName == first + " " + last);
}

BOOST_AUTO_TEST_CASE(the_subject_is_one_line_whatever_the_name_holds)
{
    const std::string data =
        reminderData("Eve\r\nBcc: victim@example.com\n", "", "en", "USD", {{"Mug", "1", "5", "", ""}});
    const RenderedReminder r = renderer().render(data, "eve@example.com");
    BOOST_TEST(r.subject.find('\r') == std::string::npos);
    BOOST_TEST(r.subject.find('\n') == std::string::npos);
    BOOST_TEST(r.subject == "Eve Bcc: victim@example.com, your cart is waiting for you");
}

BOOST_AUTO_TEST_CASE(links_other_than_web_links_are_left_out)
{
    const std::string data =
        reminderData("Ann", "", "en", "USD", {{"Mug", "1", "5", "javascript:alert(1)", ""}},
                     "javascript:alert(document.cookie)");
    const RenderedReminder r = renderer().render(data, "ann@example.com");
    BOOST_TEST(r.html.find("javascript:") == std::string::npos);
    BOOST_TEST(r.html.find("Return to your cart") == std::string::npos);
    BOOST_TEST(r.html.find("<picture>") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_customers_language_picks_the_templates_with_fallbacks)
{
    const auto subjectFor = [](const std::string& language) {
        const RenderedReminder r = renderer().render(
            reminderData("Lucas", "Moreau", language, "EUR", {{"Sac", "1", "5", "", ""}}), "l@x.fr");
        return r.language + "|" + r.subject;
    };
    BOOST_TEST(subjectFor("fr-fr") == "fr|Lucas, votre panier vous attend");
    BOOST_TEST(subjectFor("FR_ca") == "fr|Lucas, votre panier vous attend");
    BOOST_TEST(subjectFor("fr") == "fr|Lucas, votre panier vous attend");
    BOOST_TEST(subjectFor("de-de") == "en|Lucas, your cart is waiting for you");
    BOOST_TEST(subjectFor("") == "en|Lucas, your cart is waiting for you");
    BOOST_TEST(subjectFor("../../etc") == "en|Lucas, your cart is waiting for you");

    const std::vector<std::string> expected{"fr-fr", "fr", "en"};
    BOOST_TEST(languageCandidates("fr-FR") == expected, boost::test_tools::per_element());
    const RenderedReminder fr =
        renderer().render(reminderData("", "", "fr", "EUR", {{"Sac", "2", "5", "", ""}}), "a@b.c");
    BOOST_TEST(fr.subject == "Votre panier vous attend");
    BOOST_TEST(fr.html.find("<html lang=\"fr\">") != std::string::npos);
    BOOST_TEST(fr.html.find("Retrouver mon panier</a>") != std::string::npos);
    BOOST_TEST(fr.text.find("Bonjour,") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(prices_are_formatted_in_the_currency)
{
    BOOST_TEST(formatPrice("10.5", "EUR") == "€10.50");
    BOOST_TEST(formatPrice("89.9", "USD") == "$89.90");
    BOOST_TEST(formatPrice("89.9", "usd") == "$89.90");
    BOOST_TEST(formatPrice("1249", "USD") == "$1,249.00");
    BOOST_TEST(formatPrice("1234567.891", "GBP") == "£1,234,567.89");
    BOOST_TEST(formatPrice("89.9", "SEK") == "89,90\u00a0kr");
    BOOST_TEST(formatPrice("12345.5", "DKK") == "12.345,50\u00a0kr");
    BOOST_TEST(formatPrice("1200.5", "JPY") == "¥1,201");
    BOOST_TEST(formatPrice("10.5", "XYZ") == "10.50 XYZ");
    BOOST_TEST(formatPrice("10.5", "") == "10.50");
    BOOST_TEST(formatPrice("2.005", "USD") == "$2.01");
    BOOST_TEST(formatPrice("-2.5", "EUR") == "-€2.50");
    BOOST_TEST(formatPrice("0.004", "USD") == "$0.00");
    BOOST_TEST(formatPrice("abc", "USD") == "");
    BOOST_TEST(formatPrice("", "USD") == "");
}

BOOST_AUTO_TEST_CASE(a_missing_price_leaves_out_the_total_rather_than_showing_a_wrong_one)
{
    const RenderedReminder r = renderer().render(
        reminderData("Ann", "", "en", "USD", {{"Mug", "2", "5", "", ""}, {"Tea", "1", "", "", ""}}), "a@b.c");
    BOOST_TEST(r.html.find("$10.00") != std::string::npos);
    BOOST_TEST(r.html.find(">Total<") == std::string::npos);
    BOOST_TEST(r.text.find("Total") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_unsubscribe_link_carries_the_encoded_address_and_token)
{
    std::string askedFor;
    const auto token = [&askedFor](const std::string& email) {
        askedFor = email;
        return "t0k+n/=";
    };
    const RenderedReminder r = renderer("https://shop.example.com/unsub?e={email}&t={token}", token)
                                   .render(reminderData("Ann", "", "en", "USD", {{"Mug", "1", "5", "", ""}}),
                                           "ann+{token}@example.com");
    BOOST_TEST(askedFor == "ann+{token}@example.com");
    BOOST_TEST(r.unsubscribeUrl ==
               "https://shop.example.com/unsub?e=ann%2B%7Btoken%7D%40example.com&t=t0k%2Bn%2F%3D");
    BOOST_TEST(r.html.find("href=\"https://shop.example.com/"
                           "unsub?e=ann%2B%7Btoken%7D%40example.com&amp;t=t0k%2Bn%2F%3D\"") !=
               std::string::npos);
    BOOST_TEST(r.text.find(r.unsubscribeUrl) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(configuration_faults_are_named)
{
    const auto message = [](const RendererOptions& options) -> std::string {
        try
        {
            ReminderRenderer renderer(options);
        }
        catch (const std::invalid_argument& e)
        {
            return e.what();
        }
        return "";
    };
    BOOST_TEST(message({templatesDir(), "https://x.example.com/u?t={token}", {}}).find("{token}") !=
               std::string::npos);
    BOOST_TEST(message({"/nonexistent/templates", "", {}}).find("/nonexistent/templates") !=
               std::string::npos);

    Poco::TemporaryFile dir;
    Poco::File(dir.path() + "/fr").createDirectories();
    for (const char* name : {"subject.mustache", "text.mustache", "html.mustache"})
        write(dir.path() + "/fr/" + name, "x");
    BOOST_TEST(message({dir.path(), "", {}}).find("en/ is missing") != std::string::npos);
    Poco::File(dir.path() + "/en").createDirectories();
    write(dir.path() + "/en/subject.mustache", "x");
    BOOST_TEST(message({dir.path(), "", {}}).find("html.mustache") != std::string::npos);

    BOOST_CHECK_THROW(renderer().render("not json", "a@b.c"), std::invalid_argument);
    BOOST_CHECK_THROW(renderer().render("[1,2]", "a@b.c"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(no_shipped_html_template_outputs_a_value_unescaped)
{
    std::size_t checked = 0;
    for (Poco::DirectoryIterator it(templatesDir()), end; it != end; ++it)
    {
        if (!it->isDirectory())
            continue;
        const std::string html = read(it.path().toString() + "/html.mustache");
        BOOST_TEST_INFO(it.name());
        BOOST_TEST(html.find("{{{") == std::string::npos);
        BOOST_TEST(!std::regex_search(html, std::regex(R"(\{\{\s*&)")));
        ++checked;
    }
    BOOST_TEST(checked >= 2u);
}
