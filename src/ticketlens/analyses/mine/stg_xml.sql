-- Staging macros for the XES export: XML-escaped text, and one XES attribute element.
-- Characters XML 1.0 cannot hold (control characters, U+FFFE, U+FFFF) become U+FFFD.
CREATE OR REPLACE TEMP MACRO mine_xml(text) AS
    replace(replace(replace(replace(replace(
        regexp_replace(text, '[\x00-\x08\x0B\x0C\x0E-\x1F\x{FFFE}\x{FFFF}]', '�', 'g'),
        '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&apos;');

CREATE OR REPLACE TEMP MACRO mine_xes_string(key, value) AS
    CASE WHEN value IS NULL THEN ''
         ELSE '<string key="' || mine_xml(key) || '" value="' || mine_xml(value) || '"/>' END;
