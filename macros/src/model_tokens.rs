//! The parsed model → a `const` expression of the same model.

use proc_macro2::TokenStream;
use quote::quote;
use resourceful_spec::parse::{ParsedResource, TypeRef};
use resourceful_spec::*;

fn opt<T>(v: Option<T>, f: impl Fn(T) -> TokenStream) -> TokenStream {
    match v {
        Some(x) => {
            let t = f(x);
            quote!(::core::option::Option::Some(#t))
        }
        None => quote!(::core::option::Option::None),
    }
}

pub fn resource_model(p: &ParsedResource, rt: &TokenStream) -> TokenStream {
    let m = &p.model;
    let m_ = quote!(#rt::__private);
    let (name, path, table, version, page_size, max_page_size, doc) = (
        m.name,
        m.path,
        m.table,
        m.version,
        m.page_size,
        m.max_page_size,
        m.doc,
    );
    let ttl = opt(m.cache_ttl_secs, |s| quote!(#s));
    let client_cache = opt(m.client_cache_secs, |s| quote!(#s));
    let rate = |r: RateModel| {
        let (count, per) = (r.count, r.per_secs);
        quote!(#m_::RateModel { count: #count, per_secs: #per })
    };
    let (rl_read, rl_write) = (opt(m.rate_limit.read, rate), opt(m.rate_limit.write, rate));
    let rl_fail = opt(m.rate_limit.fail_closed, |b| quote!(#b));
    let access = access_model(&m.access, &m_);
    let newest = m.newest;
    let previous = m.previous.iter().map(|v| {
        let version = v.version;
        let deprecated = opt(v.deprecated_at, |t| quote!(#t));
        let sunset = opt(v.sunset_at, |t| quote!(#t));
        quote!(#m_::VersionModel { version: #version, deprecated_at: #deprecated, sunset_at: #sunset })
    });
    let fields = m.fields.iter().zip(&p.fields).map(|(f, pf)| {
        let (rust_name, api_name, column, optional, read_only, hidden, skip, filterable, sortable, unique, doc) = (
            f.rust_name, f.api_name, f.column, f.optional, f.read_only, f.hidden, f.skip, f.filterable, f.sortable,
            f.unique, f.doc,
        );
        let ty = match (&pf.type_ref, f.ty) {
            (TypeRef::Enum(path), _) => quote!(#m_::FieldType::Enum(<#path as #rt::ApiEnum>::MODEL)),
            (TypeRef::Scalar, t) => {
                let v = match t {
                    FieldType::I16 => quote!(I16),
                    FieldType::I32 => quote!(I32),
                    FieldType::I64 => quote!(I64),
                    FieldType::F32 => quote!(F32),
                    FieldType::F64 => quote!(F64),
                    FieldType::Bool => quote!(Bool),
                    FieldType::String => quote!(String),
                    FieldType::Uuid => quote!(Uuid),
                    FieldType::DateTime => quote!(DateTime),
                    FieldType::Date => quote!(Date),
                    FieldType::Enum(_) => unreachable!("enums carry a TypeRef"),
                };
                quote!(#m_::FieldType::#v)
            }
        };
        let id = opt(f.id, |s| match s {
            IdStrategy::Generated => quote!(#m_::IdStrategy::Generated),
            IdStrategy::Uuid => quote!(#m_::IdStrategy::Uuid),
            IdStrategy::Client => quote!(#m_::IdStrategy::Client),
        });
        let auto = opt(f.auto, |a| match a {
            AutoValue::CreatedAt => quote!(#m_::AutoValue::CreatedAt),
            AutoValue::UpdatedAt => quote!(#m_::AutoValue::UpdatedAt),
        });
        let v = &f.validation;
        let min_length = opt(v.min_length, |n| quote!(#n));
        let max_length = opt(v.max_length, |n| quote!(#n));
        let min = opt(v.min, |n| quote!(#n));
        let max = opt(v.max, |n| quote!(#n));
        let pattern = opt(v.pattern, |s| quote!(#s));
        let relation = opt(f.relation, |r| {
            let (resource, rname) = (r.resource, r.name);
            let inverse = opt(r.inverse, |s| quote!(#s));
            let on_delete = match r.on_delete {
                OnDelete::Restrict => quote!(Restrict),
                OnDelete::Cascade => quote!(Cascade),
                OnDelete::SetNull => quote!(SetNull),
            };
            quote!(#m_::Relation { resource: #resource, name: #rname, inverse: #inverse, on_delete: #m_::OnDelete::#on_delete })
        });
        let owner = f.owner;
        let renamed_from = opt(f.renamed_from, |s| quote!(#s));
        let f_read = opt(f.access.read, |r| access_rule(&r, &m_));
        let f_write = opt(f.access.write, |r| access_rule(&r, &m_));
        let default = opt(f.default, |d| match d {
            DefaultValue::Int(n) => quote!(#m_::DefaultValue::Int(#n)),
            DefaultValue::Float(x) => quote!(#m_::DefaultValue::Float(#x)),
            DefaultValue::Bool(b) => quote!(#m_::DefaultValue::Bool(#b)),
            DefaultValue::Text(t) => quote!(#m_::DefaultValue::Text(#t)),
        });
        let added_in = opt(f.added_in, |n| quote!(#n));
        let removed_in = opt(f.removed_in, |n| quote!(#n));
        let old_names = f.old_names.iter().map(|(n, name)| quote!((#n, #name)));
        quote! {
            #m_::FieldModel {
                rust_name: #rust_name, api_name: #api_name, column: #column, ty: #ty,
                optional: #optional, id: #id, read_only: #read_only, hidden: #hidden, skip: #skip,
                filterable: #filterable, sortable: #sortable, unique: #unique, auto: #auto,
                validation: #m_::Validation { min_length: #min_length, max_length: #max_length, min: #min, max: #max, pattern: #pattern },
                relation: #relation, owner: #owner, renamed_from: #renamed_from,
                access: #m_::FieldAccess { read: #f_read, write: #f_write },
                default: #default, added_in: #added_in, removed_in: #removed_in,
                old_names: &[#(#old_names),*],
                doc: #doc,
            }
        }
    });
    quote! {
        &#m_::ResourceModel {
            name: #name, path: #path, table: #table, version: #version, newest: #newest,
            previous: &[#(#previous),*], cache_ttl_secs: #ttl, client_cache_secs: #client_cache,
            page_size: #page_size, max_page_size: #max_page_size,
            rate_limit: #m_::RateLimitModel { read: #rl_read, write: #rl_write, fail_closed: #rl_fail },
            access: #access,
            doc: #doc,
            fields: &[#(#fields),*],
        }
    }
}

fn access_model(a: &AccessModel, m_: &TokenStream) -> TokenStream {
    let (read, create, update, delete) = (
        access_rule(&a.read, m_),
        access_rule(&a.create, m_),
        access_rule(&a.update, m_),
        access_rule(&a.delete, m_),
    );
    quote!(#m_::AccessModel { read: #read, create: #create, update: #update, delete: #delete })
}

fn access_rule(r: &AccessRule, m_: &TokenStream) -> TokenStream {
    let (public, authenticated, owner, roles, scopes) =
        (r.public, r.authenticated, r.owner, r.roles, r.scopes);
    quote! {
        #m_::AccessRule {
            public: #public, authenticated: #authenticated, owner: #owner,
            roles: &[#(#roles),*], scopes: &[#(#scopes),*],
        }
    }
}
