#define BOOST_TEST_MODULE handlebars_tests
#include <boost/test/unit_test.hpp>

#include "MailReader.h"
#include "ReminderStore.h"

#include <Poco/JSON/Stringifier.h>
#include <Poco/String.h>
#include <Poco/UTF8Encoding.h>

#include <regex>
#include <sstream>

// SendGrid and Mandrill render the shipped templates (conf/sendgrid, conf/mandrill) on their own
// side, out of reach of every other test. Here Handlebars.js (Debian's handlebars package) renders
// them from what the real daemon sent the simulated SendGrid and Mandrill, for the store of
// reminder_tests, whose names try to break out of HTML; the result must be the reminder that
// conf/templates/en/html.mustache gives the same carts through the outbox.

using namespace acd::test;
using namespace acd::test::reminders;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

const std::string Node = "/usr/bin/node";
const std::string Renderer = sourcePath("tests/integration/render_handlebars.js");

boost::test_tools::assertion_result needsHandlebars(boost::unit_test::test_unit_id)
{
    boost::test_tools::assertion_result result(
        isExecutable(Node) && runProgram(Node, {Renderer, "--version"}, {}, 60).exitCode == 0);
    if (!result)
        result.message()
            << Node << " or its handlebars module is missing (Debian's handlebars package; "
            << "installer/linux/install-deps.sh --test installs it): the rendering test is skipped";
    return result;
}

/// `templateFile` of conf/ rendered by Handlebars.js with `data`.
std::string render(const TempDir& work, const std::string& templateFile, const Object::Ptr& data)
{
    std::ostringstream json;
    Poco::JSON::Stringifier::stringify(data, json);
    const std::string dataFile = work.file("data.json");
    writeText(dataFile, json.str());
    const RunResult rendered =
        runProgram(Node, {Renderer, sourcePath("conf/" + templateFile), dataFile}, {}, 60);
    BOOST_TEST_INFO("render_handlebars.js " << templateFile << ": " << rendered.err);
    BOOST_REQUIRE_EQUAL(rendered.exitCode, 0);
    return rendered.out;
}

/// HTML character references resolved: what a reader or a browser gets from the text.
std::string decoded(const std::string& html)
{
    static const std::regex reference(R"(&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);)");
    static const std::map<std::string, int> named{{"amp", '&'},   {"lt", '<'},    {"gt", '>'},
                                                  {"quot", '"'},  {"apos", '\''}, {"nbsp", 0xA0},
                                                  {"times", 0xD7}};
    std::string out;
    std::size_t last = 0;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), reference); it != std::sregex_iterator();
         ++it)
    {
        const std::string name = (*it)[1];
        int codePoint = -1;
        if (name[0] == '#')
            codePoint = name[1] == 'x' || name[1] == 'X' ? std::stoi(name.substr(2), nullptr, 16)
                                                         : std::stoi(name.substr(1));
        else if (const auto found = named.find(name); found != named.end())
            codePoint = found->second;
        out += html.substr(last, static_cast<std::size_t>(it->position()) - last);
        last = static_cast<std::size_t>(it->position() + it->length());
        unsigned char bytes[4];
        const int length = codePoint < 0 ? 0 : Poco::UTF8Encoding().convert(codePoint, bytes, 4);
        out += length > 0 ? std::string(reinterpret_cast<const char*>(bytes), length) : it->str();
    }
    return out + html.substr(last);
}

/// What a reader sees of the body: no comments, no tags, references resolved, blanks as one space.
std::string visibleText(const std::string& html)
{
    const std::size_t body = html.find("<body");
    std::string text = html.substr(body == std::string::npos ? 0 : body);
    text = std::regex_replace(text, std::regex(R"(<!--[\s\S]*?-->)"), " ");
    text = std::regex_replace(text, std::regex(R"(<[^>]*>)"), " ");
    text = std::regex_replace(decoded(text), std::regex(R"(\s+)"), " ");
    return Poco::trim(text);
}

/// Each `<tag …>` in order, as `name="value"` of these attributes, resolved ("" when absent).
std::vector<std::string> elements(const std::string& html, const std::string& tag,
                                  const std::vector<std::string>& attributes)
{
    std::vector<std::string> found;
    const std::regex element("<" + tag + R"(\s[^>]*>)");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), element); it != std::sregex_iterator();
         ++it)
    {
        std::string shown;
        const std::string text = it->str();
        for (const std::string& attribute : attributes)
        {
            std::smatch value;
            const bool has = std::regex_search(text, value, std::regex("\\s" + attribute + "=\"([^\"]*)\""));
            shown += (shown.empty() ? "" : " ") + attribute + "=\"" + (has ? decoded(value[1]) : "") + "\"";
        }
        found.push_back(std::move(shown));
    }
    return found;
}

/// The target of the button back to the cart, as written (escaped); "" when there is none.
std::string cartLink(const std::string& html)
{
    std::smatch link;
    static const std::regex button(R"re(<a href="([^"]*)"[^>]*>Return to your cart</a>)re");
    return std::regex_search(html, link, button) ? link[1].str() : "";
}

/// What the HTML checks of reminder_tests and reminder_page_tests ask of Zoë's reminder, whose
/// first name and product name are HTML.
void checkZoe(const std::string& html)
{
    BOOST_TEST(Poco::toLower(html).find("<script") == std::string::npos);
    BOOST_TEST(html.find("<b>") == std::string::npos);
    BOOST_TEST(html.find("alert(1)</script>") == std::string::npos);
    BOOST_TEST(html.find("<html lang=\"en\">") != std::string::npos);
    BOOST_TEST(html.find("Hello Zoë &lt;b&gt;&quot;Bold&quot;&lt;/b&gt;,") != std::string::npos);
    // Once as the product's name, once as its image's alt text; no quote of the names left to end
    // an attribute and start one of its own.
    BOOST_TEST(occurrences(html, HostileEscaped) == 2u);
    for (const char* quoted : {"\"Quoted\"", "\"Bold\""})
        BOOST_TEST(html.find(quoted) == std::string::npos, quoted);
    BOOST_TEST(html.find(">" + HostileEscaped + "</div>") != std::string::npos);
    BOOST_TEST(html.find("alt=\"" + HostileEscaped + "\"") != std::string::npos);
    BOOST_TEST(html.find(">Wool Socks</div>") != std::string::npos);
    BOOST_TEST(html.find("Quantity: 1 &times; €1,249.50</div>") != std::string::npos);
    BOOST_TEST(html.find("Quantity: 2 &times; €12.00</div>") != std::string::npos);
    for (const char* figure : {">€1,249.50</td>", ">€24.00</td>", ">€1,273.50</td>"})
        BOOST_TEST(html.find(figure) != std::string::npos, figure);
    BOOST_TEST(occurrences(html, "<picture>") == 2u);
    BOOST_TEST(occurrences(html, "<source media=") == 6u); // three viewports per image
    const auto images = elements(html, "img", {"alt", "src"});
    BOOST_TEST_REQUIRE(images.size() == 2u);
    BOOST_TEST(images[0].starts_with("alt=\"" + HostileName + "\" src=\"http"), images[0]);
    BOOST_TEST(images[0].find("/Products/hostile.png&w=315&h=315&") != std::string::npos, images[0]);
    BOOST_TEST(images[1].starts_with("alt=\"Wool Socks\" src=\"http"), images[1]);
    BOOST_TEST(images[1].find("/Products/socks.png&w=315&h=315&") != std::string::npos, images[1]);
    // '&' escaped in the attribute, the link itself intact.
    const std::string link = cartLink(html);
    BOOST_TEST(link.find("&amp;c") != std::string::npos, link);
    BOOST_TEST(decoded(link) == "https://shop.example.com/cart?id=cart-zoe&c=C1");
    BOOST_TEST(html.find(">Stop these reminders</a>") != std::string::npos);
}

/// The same reminder as the outbox's: the text a reader sees, the images and their alt texts,
/// the way back to the cart.
void checkSameAsOutbox(const std::string& html, const std::string& outboxHtml)
{
    BOOST_TEST(visibleText(html) == visibleText(outboxHtml));
    const std::vector<std::string> sourceAttributes{"media", "srcset"};
    BOOST_TEST(elements(html, "source", sourceAttributes) == elements(outboxHtml, "source", sourceAttributes),
               boost::test_tools::per_element());
    const std::vector<std::string> imageAttributes{"src", "alt", "width", "height"};
    BOOST_TEST(elements(html, "img", imageAttributes) == elements(outboxHtml, "img", imageAttributes),
               boost::test_tools::per_element());
    BOOST_TEST(decoded(cartLink(html)) == decoded(cartLink(outboxHtml)));
}

/// The store run once through the outbox and once through `provider`, each with a ledger of its
/// own: the same carts, the same reminders.
struct Runs
{
    explicit Runs(const std::string& provider)
        : store({{"notify.provider", "outbox"}, {"outbox.dir", work.file("outbox")}})
    {
        REQUIRE_SUCCESS(store.once());
        auto keys = provider == "sendgrid" ? sendgridKeys(store.sim) : mandrillKeys(store.sim);
        keys["ledger.path"] = store.dir.file(provider + ".sqlite");
        store.reconfigure(keys);
        REQUIRE_SUCCESS(store.once());
    }

    std::string outboxFile(const Person& person, const std::string& extension) const
    {
        return readText(work.file("outbox") + "/" + store.ledger().at(person.cart).triggerId + extension);
    }

    TempDir work;
    Store store;
};

/// The object of `list` whose "email" is the person's, its member `member`.
Object::Ptr receivedBy(const Array::Ptr& list, const Person& person, const std::string& member)
{
    for (unsigned i = 0; i < list->size(); ++i)
        if (list->getObject(i)->getValue<std::string>("email") == person.email)
            return list->getObject(i)->getObject(member);
    BOOST_FAIL("the simulator received nothing for " << person.email);
    return nullptr;
}

} // namespace

BOOST_AUTO_TEST_CASE(sendgrids_template_renders_the_reminder_of_html_mustache,
                     *boost::unit_test::precondition(needsHandlebars))
{
    const Runs runs("sendgrid");
    const Array::Ptr received = runs.store.sim.sendgridDeliveries();
    // Zoë's cart has two products, Grace's one: both forms of the sentence about them.
    for (const Person* person : {&Zoe, &Grace})
    {
        BOOST_TEST_CONTEXT(person->email)
        {
            const Object::Ptr data = receivedBy(received, *person, "data");
            const std::string html = render(runs.work, "sendgrid/abandoned-cart.handlebars", data);
            if (person == &Zoe)
                checkZoe(html);
            BOOST_TEST(html.find("href=\"https://sendgrid.example/asm/unsubscribe?group") !=
                       std::string::npos);
            checkSameAsOutbox(html, runs.outboxFile(*person, ".html"));
            // The subject is no HTML: the name as it is, as in the outbox's Subject header. (The
            // file's last line end is not pasted into SendGrid's subject field.)
            const std::string subject = render(runs.work, "sendgrid/abandoned-cart.subject.handlebars", data);
            BOOST_TEST(Poco::trimRight(subject) ==
                       decodeWords(parseMail(runs.outboxFile(*person, ".eml"))["Subject"]));
        }
    }
}

BOOST_AUTO_TEST_CASE(mandrills_template_renders_the_reminder_of_html_mustache,
                     *boost::unit_test::precondition(needsHandlebars))
{
    const Runs runs("mandrill");
    const Array::Ptr received = parseArray(runs.store.sim.get("/_sim/mandrill/messages"));
    for (const Person* person : {&Zoe, &Grace})
    {
        BOOST_TEST_CONTEXT(person->email)
        {
            const std::string html = render(runs.work, "mandrill/abandoned-cart.handlebars",
                                            receivedBy(received, *person, "vars"));
            if (person == &Zoe)
                checkZoe(html);
            BOOST_TEST(html.find("href=\"https://mandrillapp.example/track/unsub.php?") != std::string::npos);
            checkSameAsOutbox(html, runs.outboxFile(*person, ".html"));
        }
    }
}
