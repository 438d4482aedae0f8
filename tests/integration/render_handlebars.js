// Renders a shipped provider template (conf/sendgrid, conf/mandrill) with Handlebars.js, Debian's
// handlebars package, for handlebars_tests: SendGrid and Mandrill render those templates on their
// side, so this is the only place where the product's data meets them before a customer does.
//
//   node render_handlebars.js <template file> <JSON data file>   prints the rendered text
//   node render_handlebars.js --version                          exits 3 without the module
'use strict';

const fs = require('fs');

function loadHandlebars() {
    // Debian's nodejs looks in /usr/share/nodejs by itself; a nodejs from elsewhere does not.
    for (const name of ['handlebars', '/usr/share/nodejs/handlebars']) {
        try {
            return require(name);
        } catch (error) {
            if (error.code !== 'MODULE_NOT_FOUND')
                throw error;
        }
    }
    process.stderr.write('the handlebars module is not installed (Debian package handlebars)\n');
    process.exit(3);
}

const Handlebars = loadHandlebars();
const args = process.argv.slice(2);
if (args[0] === '--version') {
    process.stdout.write(Handlebars.VERSION + '\n');
    process.exit(0);
}
if (args.length !== 2) {
    process.stderr.write('usage: render_handlebars.js <template file> <JSON data file>\n');
    process.exit(2);
}

// Stand-ins for what the providers add to Handlebars, each for the provider's own: SendGrid
// fills in {{{unsubscribe}}}, the link of the message's unsubscribe group; Mandrill's
// {{unsub "<page>"}} is its unsubscribe link, which lands on <page>. Plain Handlebars has
// neither; a helper is found before a data field of the same name.
Handlebars.registerHelper('unsubscribe', () => 'https://sendgrid.example/asm/unsubscribe?group=1&user=2');
Handlebars.registerHelper('unsub', (landing) =>
    'https://mandrillapp.example/track/unsub.php?u=1&r=' + encodeURIComponent(String(landing)));

const template = Handlebars.compile(fs.readFileSync(args[0], 'utf8'));
const data = JSON.parse(fs.readFileSync(args[1], 'utf8'));
process.stdout.write(template(data));
