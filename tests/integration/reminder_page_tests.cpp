#define BOOST_TEST_MODULE reminder_page_tests
#include <boost/test/unit_test.hpp>

#include "HeadlessChromium.h"
#include "ReminderStore.h"

#include <Poco/File.h>
#include <Poco/String.h>

#include <set>
#include <sstream>

// A reminder's page as the outbox writes it, opened by headless Chromium: what a reader sees
// (a screenshot's pixels), which images the browser asks for, and the DOM it builds.

using namespace acd::test;
using namespace acd::test::reminders;

namespace {

boost::test_tools::assertion_result needsChromium(boost::unit_test::test_unit_id)
{
    boost::test_tools::assertion_result result(chromiumInstalled());
    if (!result)
        result.message() << ChromiumPath << " is not installed (Debian's chromium package; scripts/test.sh "
                         << "installs it): the rendering test is skipped";
    return result;
}

/// The pixels of one colour in the 700×1000 screenshot.
std::size_t screenshotPixels(const std::string& png, const std::string& colour)
{
    const PixelCount counted = pixelsOf(png, colour);
    BOOST_TEST(counted.width == 700u);
    BOOST_TEST(counted.height == 1000u);
    return counted.count;
}

void keep(const std::string& path, const std::string& name)
{
    if (const std::string kept = keepArtifact(path, name); !kept.empty())
        BOOST_TEST_MESSAGE("kept " << kept);
}

} // namespace

BOOST_AUTO_TEST_CASE(a_reminder_renders_in_headless_chromium, *boost::unit_test::precondition(needsChromium))
{
    const std::string imageColour = "ff00ff"; // nowhere in the template
    const std::string buttonColour = "2563eb";
    TempDir work;
    const std::string imageLog = work.file("images.log");
    PythonServer images(sourcePath("tests/integration/image_server.py"),
                        {"--color=" + imageColour, "--log=" + imageLog});
    const std::string outbox = work.file("outbox");
    Store store({{"notify.provider", "outbox"},
                 {"outbox.dir", outbox},
                 {"media.imageServerUrl", "http://127.0.0.1:" + std::to_string(images.port()) +
                                              "/cms/api/test/imageFileData/search?fileName="}});
    REQUIRE_SUCCESS(store.once());
    const std::string page = outbox + "/" + store.ledger().at(Zoe.cart).triggerId + ".html";
    BOOST_REQUIRE(Poco::File(page).exists());
    const std::string url = "file://" + page;

    // The screenshot: 700 px wide, so the (max-width:768px) source, 80×80, is the one shown.
    const std::string png = work.file("reminder.png");
    const RunResult shot = runChromium(work, {"--hide-scrollbars", "--window-size=700,1000",
                                              "--force-device-scale-factor=1", "--screenshot=" + png, url});
    BOOST_TEST_INFO("chromium: " << shot.err);
    BOOST_REQUIRE_EQUAL(shot.exitCode, 0);
    BOOST_REQUIRE(Poco::File(png).exists());
    keep(png, "reminder.png");

    // Two product images, each shown 112×112 (its rounded corners take a few pixels).
    const std::size_t imagePixels = screenshotPixels(png, imageColour);
    BOOST_TEST(imagePixels >= static_cast<std::size_t>(2 * 112 * 112 * 0.95), imagePixels);
    BOOST_TEST(imagePixels <= static_cast<std::size_t>(2 * 112 * 112), imagePixels);
    // The button: padding 14px 32px around one 20px line of text, less its white letters.
    const std::size_t buttonPixels = screenshotPixels(png, buttonColour);
    BOOST_TEST(buttonPixels >= 7000u, buttonPixels);
    BOOST_TEST(buttonPixels <= 11000u, buttonPixels);

    // The browser asked for the small viewport's image of each product, nothing else.
    std::set<std::string> requested;
    {
        std::istringstream in(Poco::File(imageLog).exists() ? readText(imageLog) : "");
        for (std::string line; std::getline(in, line);)
            requested.insert(line);
    }
    BOOST_TEST(
        (requested ==
         std::set<std::string>{
             "/cms/api/test/imageFileData/search?fileName=/Products/hostile.png&w=80&h=80&q=80&m=6&f=jpg",
             "/cms/api/test/imageFileData/search?fileName=/Products/socks.png&w=80&h=80&q=80&m=6&f=jpg"}));

    // The DOM as the browser built it: names as text (serialised escaped), no script element,
    // prices in euros, the way back to the cart.
    const RunResult dom = runChromium(work, {"--dump-dom", url});
    BOOST_TEST_INFO("chromium: " << dom.err);
    BOOST_REQUIRE_EQUAL(dom.exitCode, 0);
    const std::string tree = dom.out;
    writeText(work.file("reminder.dom.html"), tree);
    keep(work.file("reminder.dom.html"), "reminder.dom.html");
    BOOST_REQUIRE(tree.find("</html>") != std::string::npos);
    BOOST_TEST(tree.find(">&lt;script&gt;alert(1)&lt;/script&gt; \"Quoted\" &amp; Co</div>") !=
               std::string::npos);
    // No script element. Older Chromium serialised '<' and '>' in attribute values as they
    // are (newer ones escape them): then the only "<script" is inside the alt text.
    const std::string oldAlt = "alt=\"<script>alert(1)</script> &quot;Quoted&quot; &amp; Co\"";
    const bool altAsBefore = tree.find(oldAlt) != std::string::npos;
    BOOST_TEST(occurrences(Poco::toLower(tree), "<script") == (altAsBefore ? 1u : 0u));
    BOOST_TEST((altAsBefore || tree.find("alt=\"" + HostileEscaped + "\"") != std::string::npos));
    BOOST_TEST(tree.find("Hello Zoë &lt;b&gt;\"Bold\"&lt;/b&gt;,") != std::string::npos);
    BOOST_TEST(tree.find(">Wool Socks</div>") != std::string::npos);
    BOOST_TEST(tree.find("Quantity: 1 × €1,249.50") != std::string::npos);
    BOOST_TEST(tree.find("Quantity: 2 × €12.00") != std::string::npos);
    for (const char* total : {">€1,249.50</td>", ">€24.00</td>", ">€1,273.50</td>"})
        BOOST_TEST(tree.find(total) != std::string::npos, total);
    BOOST_TEST(tree.find("<a href=\"https://shop.example.com/cart?id=cart-zoe&amp;c=C1\"") !=
               std::string::npos);
    BOOST_TEST(tree.find(">Return to your cart</a>") != std::string::npos);
}
